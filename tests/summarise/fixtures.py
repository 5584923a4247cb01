"""Project-written news texts for the summariser and clustering tests (all invented)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Article, Story
from bot.summarise.cluster import story_id

BASE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def article(
    outlet: str,
    title: str,
    text: str,
    *,
    hours: float = 0.0,
    slug: str = "",
) -> Article:
    """An article published `hours` after BASE, with a stable id from outlet and slug."""
    slug = slug or title.lower().replace(" ", "-")[:40]
    url = f"https://{outlet.lower().replace(' ', '')}.example/{slug}"
    return Article(
        id=f"{outlet}:{slug}",
        url=url,
        title=title,
        text=text,
        outlet=outlet,
        published=BASE + timedelta(hours=hours),
    )


def story(*articles: Article) -> Story:
    return Story(id=story_id(articles), articles=tuple(articles))


# One event (a bridge closure in the invented town of Marlow Ferry), told three ways.
BRIDGE_WIRE = article(
    "Coastline Wire",
    "Marlow Ferry bridge closed after inspectors find cracked bearings",
    "MARLOW FERRY (Coastline Wire) - The Tanner Street bridge in Marlow Ferry was closed to all "
    "traffic on Monday after inspectors found cracked bearings under its central span, the "
    "regional roads agency said. About 18,000 vehicles cross the bridge each day, according "
    "to agency figures. A diversion through the Quayside tunnel adds about 20 minutes to "
    "journeys, officials said. The agency said repairs would take at least six weeks.",
    slug="bridge-closed",
)
BRIDGE_LOCAL = article(
    "Marlow Evening Post",
    "Tanner Street bridge shut for six weeks as cracks found in bearings",
    "Drivers in Marlow Ferry face weeks of delays after the Tanner Street bridge was shut on "
    "Monday when inspectors discovered cracked bearings beneath the central span. The "
    "regional roads agency said the repairs would take at least six weeks. Shop owners on "
    "Tanner Street said they feared losing customers during the closure. About 18,000 "
    "vehicles use the bridge every day.",
    hours=2,
    slug="bridge-shut",
)
BRIDGE_LOADED = article(
    "The Daily Klaxon",
    "BRIDGE SHAMBLES! Useless bureaucrats shut Tanner Street crossing",
    "Who could have seen this coming? The useless bureaucrats at the roads agency have "
    "finally shut the crumbling Tanner Street bridge! These clowns ignored warnings for "
    "years. Inspectors found cracked bearings under the central span on Monday, the agency "
    "admitted. The so-called repairs will take six weeks, if you believe them.",
    hours=3,
    slug="bridge-shambles",
)

# A different event on the same day, sharing the town name only.
LIBRARY = article(
    "Marlow Evening Post",
    "Marlow Ferry library wins national design award",
    "The new public library in Marlow Ferry has won the national architecture prize for "
    "public buildings, the Institute of Architects announced on Monday. The timber building "
    "opened last spring and has doubled its visitor numbers. Judges praised its reading "
    "rooms and its roof garden.",
    hours=1,
    slug="library-award",
)
FOOTBALL = article(
    "Coastline Wire",
    "Harwick Athletic sign goalkeeper Tomas Lind on two-year deal",
    "Harwick Athletic have signed goalkeeper Tomas Lind on a two-year contract, the club "
    "said on Monday. Lind, 29, joins from Nordvik FK and will compete with the club's "
    "current keeper for a starting place. The fee was not disclosed.",
    hours=4,
    slug="lind-signs",
)

# Two outlets disagree on a figure: how many people were evacuated.
FIRE_A = article(
    "Coastline Wire",
    "Warehouse fire in Brenton forces evacuation",
    "A fire at a paint warehouse in Brenton forced the evacuation of 120 residents on "
    "Tuesday night, the fire service said. Nobody was hurt, and the fire was under control "
    "by midnight, officials said.",
    hours=30,
    slug="brenton-fire",
)
FIRE_B = article(
    "Marlow Evening Post",
    "Hundreds leave homes as Brenton warehouse burns",
    "The fire at the paint warehouse in Brenton forced the evacuation of 400 residents on "
    "Tuesday night, according to the town's mayor. Firefighters worked through the evening, "
    "and the blaze was under control by midnight.",
    hours=31,
    slug="brenton-blaze",
)
