"""Imported by the parser pool's forkserver before it forks a worker: stop signals ignored.

Ctrl-C, `systemctl stop` and `timeout` signal the whole process group. The forkserver died of
a SIGTERM, and a worker forked from it took SIGINT as a KeyboardInterrupt until its initializer
ran, which broke the pool under the bot's own orderly stop. Dispositions set here, in the
forkserver, are what every worker starts with. The bot stops its workers itself, and they end
with it however it ends (`parse._exit_with_owner`).
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
# The pool starts the forkserver with these signals blocked (so that one arriving while it
# starts cannot kill it); ignored now, a pending one is dropped and they can be unblocked.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
