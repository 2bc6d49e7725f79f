"""A trailing newline is not part of a name: `$` alone would accept 'ranker\\n' as 'ranker'."""

import pytest

from stageward.errors import BadInput
from stageward.registry.names import check_alias, check_asset_name, check_run_id
from stageward.store.blobs.base import check_digest


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (check_asset_name, "ranker\n"),
        (check_alias, "champion\n"),
        (check_run_id, "run-1\n"),
        (check_digest, "0" * 64 + "\n"),
    ],
)
def test_a_trailing_newline_is_refused(check, value):
    with pytest.raises(BadInput):
        check(value)
