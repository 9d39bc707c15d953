"""Bad values of the same-caller keys of ``[redial]`` and of the ``[message]`` block, in the
gallery's style (test_bad_input.py): the file, the key path and what is wrong; exit status 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import ROOT
from helpers import assert_block_refused
from ska_sim.cli import main

MINIMAL = (ROOT / "tests" / "data" / "minimal.toml").read_text()
ANCHOR = "[simulation]"

# name of the defect: (TOML inserted before [simulation], expected message parts)
GALLERY = {
    "keep_patience_negative": ("[redial]\nprobability = 0.5\nsame_caller = true\nkeep_patience = -0.1\n",
                               ["redial.keep_patience", "greater than or equal to 0", "(got -0.1)"]),
    "keep_patience_above_1": ("[redial]\nprobability = 0.5\nsame_caller = true\nkeep_patience = 1.5\n",
                              ["redial.keep_patience", "less than or equal to 1", "(got 1.5)"]),
    "keep_patience_nan": ("[redial]\nprobability = 0.5\nsame_caller = true\nkeep_patience = nan\n",
                          ["redial.keep_patience", "finite number"]),
    "keep_patience_without_same_caller": ("[redial]\nprobability = 0.5\nkeep_patience = 0.5\n",
                                          ["redial:", "keep_patience needs same_caller = true"]),
    "keep_patience_and_talk_without_same_caller": ("[redial]\nprobability = 0.5\nkeep_talk = false\n"
                                                   "keep_patience = 0.2\n",
                                                   ["redial:", "keep_patience and keep_talk need same_caller = true"]),
    "keep_talk_without_same_caller": ("[redial]\nprobability = 0.5\nkeep_talk = false\n",
                                      ["redial:", "keep_talk needs same_caller = true"]),
    "same_caller_not_a_boolean": ("[redial]\nprobability = 0.5\nsame_caller = \"yes\"\n",
                                  ["redial.same_caller", "valid boolean"]),
    "message_after_negative": ("[message]\nafter_s = -5\nleave = 0.5\n",
                               ["message.after_s", "greater than 0", "(got -5)"]),
    "message_after_zero": ("[message]\nafter_s = 0\nleave = 0.5\n", ["message.after_s", "greater than 0"]),
    "message_after_infinite": ("[message]\nafter_s = inf\nleave = 0.5\n", ["message.after_s", "finite number"]),
    "message_leave_above_1": ("[message]\nafter_s = 120\nleave = 1.2\n",
                              ["message.leave", "less than or equal to 1", "(got 1.2)"]),
    "message_leave_negative": ("[message]\nafter_s = 120\nleave = -0.2\n",
                               ["message.leave", "greater than or equal to 0"]),
    "message_leave_nan": ("[message]\nafter_s = 120\nleave = nan\n", ["message.leave", "finite number"]),
    "message_without_leave": ("[message]\nafter_s = 120\n", ["message.leave", "missing"]),
    "message_unknown_key": ("[message]\nafter_s = 120\nleave = 0.5\ncallback = true\n",
                            ["message.callback", "unknown key"]),
}


@pytest.mark.parametrize("defect", sorted(GALLERY))
def test_each_defect_is_named_with_file_key_and_reason(tmp_path, defect):
    block, parts = GALLERY[defect]
    assert_block_refused(tmp_path, defect, block, parts)


def test_the_keys_in_use_are_valid(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text(MINIMAL.replace(ANCHOR, "[redial]\nprobability = 0.5\nsame_caller = true\nkeep_patience = 0.5\n"
                                    "keep_talk = false\n\n[message]\nafter_s = 120\nleave = 0.7\n\n" + ANCHOR, 1))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 0, res.output
