"""The exceptions a user of orchestrator catches (defined in ``schemas.errors``).

::

    OrchestratorError
    ├── MisconfigurationError (ValueError)  the module or callbacks are wired wrongly (0.8's
    │   │                                   MisconfigurationException)
    │   └── ConfigError                     a Trainer argument is wrong
    │       ├── UnknownArgumentError (TypeError)  an argument the Trainer does not take
    │       ├── ArgumentTypeError (TypeError)  an argument of a type it does not take
    │       └── ArgumentIndexError (IndexError)  an epoch index below 0
    ├── HookOutputError (ValueError)        a hook returned something malformed
    ├── HyperparametersError (TypeError, ValueError)  hparams of a kind that cannot be kept
    ├── MonitorKeyError (KeyError)          a monitored metric is missing
    ├── NonFiniteLossError (ValueError, RuntimeError)  terminate_on_nan saw nan or inf
    ├── HardwareUnavailableError (RuntimeError)  the requested device is not here
    ├── WorkerFailedError (RuntimeError)    a DDP process failed; the message is its traceback
    └── CheckpointError (ValueError)        a checkpoint file cannot be used
        ├── CheckpointNotFoundError (FileNotFoundError)  it is not there
        └── CheckpointWriteError (OSError)  it could not be written (disk full, read-only)

    RunInterrupted (KeyboardInterrupt)      SIGINT/SIGTERM ended a run after saving a checkpoint

Example:
    >>> from orchestrator.exceptions import ConfigError
    >>> try:
    ...     Trainer(max_epochs=0)
    ... except ConfigError as exc:
    ...     print(exc)
"""

from schemas import errors
from schemas.errors import *  # noqa: F403 - the classes live there, in one place

__all__ = list(errors.__all__)
