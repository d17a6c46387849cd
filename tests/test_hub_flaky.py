# ruff: noqa: F811  (fixtures imported from tests.fakehub are used as arguments)
"""Header reads against a flaky fake Hub, with the real huggingface_hub client.

The file host answers 503 and resets connections the way the download path already
survives; `files` and remote `fit` must survive it too, a Hub that stays down must be
"busy" within the retry bounds (not "offline", not a traceback), and one unreadable
header must not take the whole listing with it. The backoff is shortened by swapping
the header-read policy, never by faking the HTTP.
"""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import pytest

from spark_desktop.cli import main
from spark_desktop.hub import (
    HubBusyError,
    OfflineError,
    RetryPolicy,
    choose,
    list_variants,
    remote_spec,
    retry,
)
from tests.fakehub import FakeHub, Fault, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)

REPO = "acme/tiny-GGUF"
FAST = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05, give_up_after=10.0,
                   connect_timeout=2.0, read_timeout=5.0)
Q8 = "tiny-Q8_0.gguf"
F16_FIRST = "F16/tiny-F16-00001-of-00002.gguf"
SPARK = ("--json", "--ctx", "2048", "--target", "spark")  # a fixed target: same answer each time
GGUF_PATHS = (Q8, F16_FIRST, "F16/tiny-F16-00002-of-00002.gguf", "Q4_0/tiny-Q4_0.gguf")


def _flaky() -> list[Fault]:
    """What the issue met: one 503, then the connection reset three times."""
    return [Fault(status=503)] + [Fault(reset_after=0) for _ in range(3)]


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> RetryPolicy:
    monkeypatch.setattr(retry, "HEADER_READS", FAST)
    return FAST


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_files_survives_a_503_and_three_resets_on_every_file(
        hub: FakeHub, fast_retries: RetryPolicy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "files", REPO, *SPARK)
    clean = json.loads(out)
    assert code == 0
    hub.scripts = {path: _flaky() for path in GGUF_PATHS}
    code, out, err = _run(capsys, "files", REPO, *SPARK)
    assert code == 0, err
    flaky = json.loads(out)
    assert all(v["fit"] is not None and v["problem"] is None for v in flaky["variants"])
    assert flaky == clean  # the same answer as from a healthy Hub
    assert all(script == [] for script in hub.scripts.values())  # every fault was met


def test_files_survives_the_shared_faults_as_downloads_do(
        hub: FakeHub, fast_retries: RetryPolicy, capsys: pytest.CaptureFixture[str]) -> None:
    hub.faults = _flaky()  # whichever header read comes first meets them, in order
    code, out, err = _run(capsys, "files", REPO, "--target", "spark")
    assert code == 0, err
    assert hub.faults == []
    assert "fit unknown" not in out and out.count("fits on spark") == 3, out


def test_remote_fit_survives_resets_and_matches_a_healthy_hub(
        hub: FakeHub, fast_retries: RetryPolicy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "fit", f"{REPO}:Q8_0", *SPARK)
    clean = json.loads(out)
    hub.scripts[Q8] = [Fault(reset_after=0), Fault(status=503), Fault(reset_after=0),
                       Fault(reset_after=0)]
    before = hub.requests_for(Q8)
    code, out, err = _run(capsys, "fit", f"{REPO}:Q8_0", *SPARK)
    assert code == 0, err
    assert json.loads(out) == clean
    assert hub.scripts[Q8] == [] and hub.requests_for(Q8) - before >= 5


def test_a_hub_that_stays_down_is_busy_within_the_bounds(
        hub: FakeHub, fast_retries: RetryPolicy, capsys: pytest.CaptureFixture[str]) -> None:
    hub.scripts[Q8] = [Fault(status=503, stays=True)]
    code, _, err = _run(capsys, "fit", f"{REPO}:Q8_0")
    assert code == 2 and "Traceback" not in err
    assert "The Hugging Face Hub is busy: it answered 503 Service Unavailable" in err
    assert "5 times in a row" in err and "Try again in a few minutes" in err
    assert "cannot be reached" not in err
    assert hub.requests_for(Q8) == FAST.attempts  # bounded in count


def test_the_total_wait_is_bounded_too(hub: FakeHub) -> None:
    variant = choose(list_variants(REPO), "Q8_0")
    hub.scripts[Q8] = [Fault(status=503, stays=True)]
    patient = RetryPolicy(attempts=1000, base_delay=0.05, max_delay=0.05, give_up_after=0.5)
    started = time.monotonic()
    with pytest.raises(HubBusyError, match="is busy"):
        remote_spec(variant, patient)
    assert time.monotonic() - started < 5.0  # 0.5 s of waiting, far from 1000 tries
    assert 2 <= hub.requests_for(Q8) < 50


def test_retry_after_is_honoured(hub: FakeHub) -> None:
    variant = choose(list_variants(REPO), "Q8_0")
    hub.scripts[Q8] = [Fault(status=429, retry_after=1)]
    started = time.monotonic()
    spec = remote_spec(variant, RetryPolicy(base_delay=0.01, max_delay=5.0))
    assert time.monotonic() - started >= 1.0
    assert spec.quantization == "Q8_0" and hub.scripts[Q8] == []


def test_retry_after_is_capped_and_backoff_doubles() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.delay(1, retry_after=3.0) == 3.0 and policy.delay(1, 3600.0) == 8.0
    assert retry.retry_after({"Retry-After": "7"}) == 7.0
    assert retry.retry_after({}) is None and retry.retry_after({"Retry-After": "soon"}) is None
    assert retry.retry_after({"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}) == 0.0
    assert 50 < retry.retry_after({"Retry-After": formatdate(time.time() + 60, usegmt=True)}) <= 60


def test_one_unreadable_header_leaves_only_that_fit_unknown(
        hub: FakeHub, fast_retries: RetryPolicy, capsys: pytest.CaptureFixture[str]) -> None:
    hub.scripts[F16_FIRST] = [Fault(status=503, stays=True)]
    code, out, err = _run(capsys, "files", REPO, "--target", "spark")
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "tiny-F16.gguf (2 parts)" in lines["F16"] and " MB " in lines["F16"]
    assert "fit unknown (The Hugging Face Hub is busy" in lines["F16"]
    for quant in ("Q8_0", "Q4_0"):
        assert "fits on" in lines[quant] and "fit unknown" not in lines[quant]
    code, out, _ = _run(capsys, "files", REPO, "--json")
    variants = {v["quant"]: v for v in json.loads(out)["variants"]}
    assert variants["F16"]["fit"] is None and "busy" in variants["F16"]["problem"]
    assert variants["F16"]["size"] == sum(f["size"] for f in variants["F16"]["files"])
    assert variants["Q8_0"]["fit"] is not None and variants["Q4_0"]["fit"] is not None


def test_a_host_that_is_not_there_is_offline_at_once(
        hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakehub import point_client_at

    variant = choose(list_variants(REPO), "Q8_0")
    point_client_at("http://127.0.0.1:9", monkeypatch)  # nothing listens: refused
    slow = RetryPolicy(attempts=5, base_delay=2.0)
    started = time.monotonic()
    with pytest.raises(OfflineError, match="cannot be reached; check the internet"):
        remote_spec(variant, slow)
    assert time.monotonic() - started < 2.0  # no backoff for a host that is not there


def test_listing_and_card_outlast_a_busy_hub(hub: FakeHub, fast_retries: RetryPolicy) -> None:
    """(Search needs nothing of ours: huggingface_hub's list_models retries by itself.)"""
    from spark_desktop.hub.card import model_card

    hub.scripts = {f"/api/models/{REPO}": [Fault(status=502), Fault(status=503)],
                   "README.md": _flaky()}
    assert {v.quant for v in list_variants(REPO).variants} == {"Q8_0", "F16", "Q4_0"}
    assert model_card(REPO) == "# tiny\n"
    assert all(script == [] for script in hub.scripts.values())
    hub.scripts[f"/api/models/{REPO}"] = [Fault(status=503, stays=True)]
    with pytest.raises(HubBusyError, match="busy: it answered 503"):
        list_variants(REPO)
