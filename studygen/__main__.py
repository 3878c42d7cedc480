"""`python -m studygen`: the `studygen` executable."""

import os
import signal

try:
    from studygen.cli import entry
except KeyboardInterrupt:  # Ctrl-C while the command line loads: nothing has begun, so end by the signal at once
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    raise  # only if the signal could not be delivered

entry()
