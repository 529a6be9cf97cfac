"""Device placement, precision and collectives behind one interface, per kind of hardware."""

from backends.base import Backend
from backends.cpu import CPUBackend
from backends.ddp import DDPBackend
from backends.precision import Precision
from backends.select import select_backend

__all__ = ["Backend", "CPUBackend", "DDPBackend", "Precision", "select_backend"]
