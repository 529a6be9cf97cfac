"""Two nodes for real: two torchrun agents on this machine (``--nnodes 2``, one process
each, static rendezvous on 127.0.0.1) train one run with ``Trainer(num_nodes=2)``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import orchestrator as pl
from tests.helpers import BoringModel

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _two_nodes(tmp_path: Path, *args: str, timeout: float = 180) -> list[tuple[int, str]]:
    """Start one torchrun agent per node, each with its own folder (tmp_path/node<I>); the
    return codes and output of both, once both ended."""
    port = str(_free_port())
    agents = []
    for node in (0, 1):
        root = tmp_path / f"node{node}"
        root.mkdir()
        command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
                   "--node_rank", str(node), "--nproc_per_node", "1",
                   "--master_addr", "127.0.0.1", "--master_port", port,
                   "-m", "tests.jobs.ddp_job", str(root), "--num-nodes", "2", *args]
        agents.append(subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True))
    ended = []
    for agent in agents:
        try:
            out, _ = agent.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for other in agents:
                other.kill()
            raise
        ended.append((agent.returncode, out))
    return ended


def test_two_nodes_train_as_one_process_on_the_full_batch(tmp_path: Path) -> None:
    pl.seed_everything(0)
    reference = BoringModel(batch_size=16, n=64)  # 8 per node x 2 nodes
    pl.Trainer(max_epochs=2, logger=False, checkpoint_callback=False,
               progress_bar_refresh_rate=0, weights_summary=None,
               num_sanity_val_steps=0).fit(reference)
    prepare_log = tmp_path / "prepare.log"
    ended = _two_nodes(tmp_path, "--prepare-log", str(prepare_log))
    for code, out in ended:
        assert code == 0, out[-3000:]
    reports = [json.loads((tmp_path / f"node{n}" / f"rank{n}.json").read_text()) for n in (0, 1)]
    assert [r["node_rank"] for r in reports] == [0, 1]
    assert all(r["world_size"] == 2 and r["step"] == 8 for r in reports)
    trained = torch.load(tmp_path / "node0" / "final.pt", weights_only=True)
    for name, value in reference.state_dict().items():
        assert torch.allclose(trained[name], value, atol=1e-6), name
    # prepare_data once per node (prepare_data_per_node=True, the default) in fit, and again
    # in the job's test() (as 0.8.5, whose test ran the fit routine)
    assert sorted(prepare_log.read_text().split("\n")[:-1]) == ["0 0", "0 0", "1 1", "1 1"]
    # logs and checkpoints from global rank zero only: node 1's folder holds its report alone
    assert len(list((tmp_path / "node0" / "lightning_logs").iterdir())) == 1
    assert list((tmp_path / "node0").rglob("*.ckpt"))
    assert sorted(p.name for p in (tmp_path / "node1").rglob("*") if p.is_file()) == [
        "rank1.json", "threads1.json"]


def test_a_failing_rank_ends_both_nodes_in_bounded_time(tmp_path: Path) -> None:
    prepare_log = tmp_path / "prepare.log"
    start = time.monotonic()
    ended = _two_nodes(tmp_path, "--fail-rank", "1", "--prepare-log", str(prepare_log),
                       "--prepare-once")
    assert time.monotonic() - start < 150
    assert all(code != 0 for code, _ in ended), [out[-2000:] for _, out in ended]
    assert "deliberate failure on rank 1" in ended[1][1], ended[1][1][-3000:]
    # prepare_data_per_node=False: once in all, on global rank zero
    assert prepare_log.read_text() == "0 0\n"
