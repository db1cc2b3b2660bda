from __future__ import annotations

import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.languages import select_languages


def test_select_languages_sorts_dedups_and_defaults_to_all():
    assert select_languages(None, ["es", "de", "en"], "x") == ["de", "en", "es"]
    assert select_languages(["es", "de", "es"], ["es", "de", "en"], "x") == ["de", "es"]


@pytest.mark.parametrize("requested, available, message", [
    (["xx"], ["de", "en"], r"^f.json: unknown language\(s\) xx; available: de, en$"),
    ([], ["de"], "^f.json: empty language list$"),
    (None, [], "^f.json: no languages found$"),
])
def test_select_languages_errors_name_the_source(requested, available, message):
    with pytest.raises(HybridbatchError, match=message):
        select_languages(requested, available, "f.json")
