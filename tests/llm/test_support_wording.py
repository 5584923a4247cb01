"""The span check reads a passage as a careful reader would: a surname stands for the full
name the article gave, and a space lost at a line break does not make a word new; a first
name the article never gives that person, or a glued word whose halves the article lacks,
still fails. Project-written article."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Article
from bot.summarise.grounding import judge_sentence

BRIDGE = Article(
    id="a-bridge",
    url="https://riverside-courier.example/bridge",
    title="Old bridge to close for repairs",
    text=(
        "Engineer Paul Okafor told the council that the old bridge needs new bearings. "
        "The council then voted to close the bridge for six weeks in March. "
        "Okafor said the crews would work at night to keep the river open to boats. "
        "Shop owners on the quay asked for a temporary footbridge. "
        "The ferry will run every hour while the bridge is shut. "
        "Mayor Ines Moreau thanked the engineers for their report."
    ),
    outlet="Riverside Courier",
    published=datetime(2026, 11, 30, tzinfo=UTC),
)


def judge(text: str) -> tuple[str | None, float]:
    judged = judge_sentence(text, (BRIDGE,), allowed_urls=[BRIDGE.url])
    return judged.reason, judged.coverage


def test_a_full_name_for_the_surname_of_the_passage_is_held() -> None:
    reason, coverage = judge("Paul Okafor said the crews would work at night.")
    assert reason is None
    assert coverage == 1.0


def test_a_first_name_the_article_gives_someone_else_is_not() -> None:
    reason, _ = judge("Ines Okafor said the crews would work at night.")
    assert reason is not None and "'Ines'" in reason, reason


def test_a_word_glued_to_the_next_at_a_line_break_is_held() -> None:
    reason, coverage = judge(
        "Okafor said the crews would work at nightto keep the river open to boats."
    )
    assert reason is None
    assert coverage == 1.0


def test_a_glued_word_whose_halves_the_article_lacks_is_not() -> None:
    _, coverage = judge("Okafor said the crews would work at nightshifts to keep the river open.")
    assert coverage < 1.0


STUDY = Article(
    id="a-study",
    url="https://valley-times.example/sleep-study",
    title="Study links activity to better sleep",
    text=(
        "Exercise helps older people sleep better, a study of 2,000 adults found. "
        "The study was led by Dr Maria Lindqvist of Uppsala. "
        "Participants kept a diary for a year. "
        "Most slept an hour longer on days they were active. "
        "Researchers also found that regular walks lower blood pressure."
    ),
    outlet="Valley Times",
    published=datetime(2026, 11, 30, tzinfo=UTC),
)


def test_a_first_word_capitalised_only_by_position_is_a_word_not_a_name() -> None:
    # "Exercise" opens a sentence here and in the article: a word the passage need not hold.
    text = "Exercise such as regular walks lowers blood pressure, researchers found."
    judged = judge_sentence(text, (STUDY,), allowed_urls=[STUDY.url])
    assert judged.reason is None


def test_a_first_word_the_article_names_is_still_a_name() -> None:
    text = "Lindqvist found that regular walks lower blood pressure."
    reason = judge_sentence(text, (STUDY,), allowed_urls=[STUDY.url]).reason
    assert reason is not None and "'Lindqvist' is not in the passage" in reason, reason


def test_an_opening_quotation_spaced_from_its_marks_is_a_complete_sentence() -> None:
    reason, _ = judge('" The old bridge needs new bearings, " Okafor told the council.')
    assert reason is None
    reason, _ = judge('" the old bridge needs new bearings, " Okafor told the council.')
    assert reason is not None and "no capital" in reason, reason


CLIMB = Article(
    id="a-climb",
    url="https://valley-times.example/k2",
    title="Climber to attempt K2",
    text=(
        "Climber Tom Ballard, 26, will attempt K2 this summer. "
        "His sister, 31, runs the family's outdoor shop. "
        "The expedition leaves from Skardu in June. "
        "A five-year-old neighbour painted the team's flag. "
        "Ballard will climb the mountain without bottled oxygen or fixed ropes."
    ),
    outlet="Valley Times",
    published=datetime(2026, 11, 30, tzinfo=UTC),
)


def climb(text: str) -> str | None:
    return judge_sentence(text, (CLIMB,), allowed_urls=[CLIMB.url]).reason


def test_a_figure_the_article_spells_out_is_held_as_digits() -> None:
    assert climb("The neighbour, 5, painted the team's flag.") is None
    reason = climb("The neighbour, 6, painted the team's flag.")
    assert reason is not None and "6" in reason, reason


def test_an_age_the_article_gives_the_same_person_elsewhere_is_held() -> None:
    assert climb("Ballard, 26, will climb without bottled oxygen or fixed ropes.") is None


def test_a_figure_the_article_gives_someone_else_is_not() -> None:
    reason = climb("Ballard, 31, will climb without bottled oxygen or fixed ropes.")
    assert reason is not None and "'31' is not in the passage" in reason, reason


HARBOUR = Article(
    id="a-harbour",
    url="https://valley-times.example/harbour",
    title="Storm closes the harbour",
    text=(
        "The storm left the harbour master unable to open the locks on Tuesday. "
        "Waves broke over the sea wall for most of the night. "
        "The coastguard closed the beach road until the morning. "
        "Fishing boats were able to shelter in the outer basin."
    ),
    outlet="Valley Times",
    published=datetime(2026, 11, 30, tzinfo=UTC),
)


def harbour(text: str) -> str | None:
    return judge_sentence(text, (HARBOUR,), allowed_urls=[HARBOUR.url]).reason


def test_a_negating_prefix_kept_passes() -> None:
    assert harbour("The harbour master was unable to open the locks on Tuesday.") is None


def test_a_negating_prefix_dropped_or_added_is_refused() -> None:
    dropped = harbour("The harbour master was able to open the locks on Tuesday.")
    assert dropped is not None and "negation of 'able'" in dropped, dropped
    added = harbour("Fishing boats were unable to shelter in the outer basin.")
    assert added is not None and "negates 'able'" in added, added


REPORT = Article(
    id="a-report",
    url="https://valley-times.example/report",
    title="Engineer presents bridge report",
    text=(
        "Engineer Paul Okafor presented his report on the old bridge on Monday. "
        "The 52-year-old thanked the crews who had worked through the winter with council "
        "leader Ruth Adeyemi. "
        "Repairs will begin in March."
    ),
    outlet="Valley Times",
    published=datetime(2026, 11, 30, tzinfo=UTC),
)


def test_a_name_later_in_the_passage_is_not_the_subject_of_its_verb() -> None:
    # "The 52-year-old thanked...": Okafor, named before; Adeyemi comes after the verb.
    text = "Okafor thanked the crews who had worked through the winter."
    assert judge_sentence(text, (REPORT,), allowed_urls=[REPORT.url]).reason is None


def test_a_name_before_the_verb_in_the_passage_is_its_subject() -> None:
    text = "Okafor told the council repairs will begin in March."
    article = Article(
        id="a-report-2",
        url=REPORT.url,
        title="",
        text="Engineer Paul Okafor presented the report. "
        "Council leader Ruth Adeyemi told the council repairs will begin in March.",
        outlet="Valley Times",
        published=REPORT.published,
    )
    reason = judge_sentence(text, (article,), allowed_urls=[article.url]).reason
    assert reason is not None and "someone other than 'Okafor'" in reason, reason
