"""The 办件 API: open a case, take it through its actions, read it (staff), and its public progress.

Handlers only look things up, check who is calling and turn answers into JSON; every rule is in
cases.services, whose CaseError becomes the answer's status and Chinese message, the case unchanged.
Each module registers its endpoints on the one router, in the order the API document lists them.
"""

from quangangtong.cases.api._common import router

# isort: off
from quangangtong.cases.api import opening, reads, intake, review, delivery, public
# isort: on

__all__ = ["delivery", "intake", "opening", "public", "reads", "review", "router"]
