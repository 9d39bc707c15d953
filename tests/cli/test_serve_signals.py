"""`ska-sim serve` stopped by Ctrl-C or SIGTERM exits as every command does: 130 / 143, one line,
no traceback, its warm workers stopped. The signal is sent once the page answers (its workers
have started)."""

from __future__ import annotations

import re
import signal

import pytest

from test_no_orphans import check_gone, children, page_answers, ska_sim_process, wait_for


@pytest.mark.parametrize("signum, status, words", [(signal.SIGINT, 130, "interrupted (Ctrl-C)"),
                                                   (signal.SIGTERM, 143, "terminated (SIGTERM)")],
                         ids=["ctrl-c", "sigterm"])
def test_serve_exits_as_the_batch_commands_do(tmp_path, signum, status, words):
    proc = ska_sim_process("serve", "--workdir", str(tmp_path), "--port", "0", "--workers", "2", stderr=True)
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
        wait_for(lambda: page_answers(port), "answer from the page", proc)
        workers = children(proc.pid)
        assert len(workers) >= 2
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == status, err
        assert words in err and "Traceback" not in err
        check_gone(workers)  # the warm workers and multiprocessing's resource tracker
    finally:
        proc.kill()
        proc.communicate()
