from . import test_definition
from . import test_ledgers
from . import test_security
