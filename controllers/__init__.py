from . import main
from . import digest
