from . import test_definition
from . import test_security
from . import test_inputs
