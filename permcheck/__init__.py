"""permcheck: offline IAM permission analysis for AWS serverless applications.

Kept import-free so that `permcheck --help` starts fast: every heavy library
(pydantic, networkx, lark, rich) is imported by the module that needs it.
"""

__version__ = "0.1.0"
