# ruff: noqa: F811  (fixtures imported from tests.fakehub are used as arguments)
"""Search and variants against the fake Hub with the real huggingface_hub client."""

from __future__ import annotations

import pytest

from spark_desktop.hub import (
    HubAccessError,
    OfflineError,
    UnsafeFileNameError,
    VariantNotFoundError,
    choose,
    list_variants,
    remote_spec,
    search,
)
from spark_desktop.hub.names import check_repo_path
from spark_desktop.hub.variants import quant_of
from tests.fakehub import FakeHub, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)


def test_search_finds_gguf_repos_sorted_with_details(hub: FakeHub) -> None:
    results = search("", sort="downloads")
    assert [r.repo for r in results] == ["other/popular-GGUF", "acme/gated-GGUF",
                                         "acme/tiny-GGUF"]
    tiny = search("tiny")[0]
    assert (tiny.repo, tiny.author, tiny.downloads, tiny.likes) == ("acme/tiny-GGUF", "acme",
                                                                     500, 7)
    assert (tiny.parameters, tiny.architecture, tiny.context_length) == (4_400_000, "llama", 2048)
    assert "llama" in tiny.tags and tiny.updated is not None and not tiny.gated
    assert search("gated")[0].gated
    assert search("", sort="updated")[0].repo == "other/popular-GGUF"
    assert search("", sort="likes")[0].repo == "acme/tiny-GGUF"


def test_search_pages(hub: FakeHub) -> None:
    first = search("", limit=2, page=0)
    second = search("", limit=2, page=1)
    assert len(first) == 2 and len(second) == 1
    assert {r.repo for r in first} .isdisjoint({r.repo for r in second})


def test_search_offline_says_so(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineError, match="You are offline; search needs the internet"):
        search("tiny")


def test_search_respects_offline_in_settings(hub: FakeHub) -> None:
    from spark_desktop import settings

    settings.save(settings.Settings(offline=True))
    with pytest.raises(OfflineError, match="You are offline"):
        search("tiny")
    assert hub.api_calls == []


def test_fake_hub_tree_listing_matches_the_real_client(hub: FakeHub) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=hub.url)
    top = {e.path for e in api.list_repo_tree("acme/tiny-GGUF")}
    assert {"F16", "Q4_0", "tiny-Q8_0.gguf", "README.md"} <= top
    files = [e for e in api.list_repo_tree("acme/tiny-GGUF", recursive=True)
             if isinstance(e, RepoFile)]
    split = next(f for f in files if f.path == "F16/tiny-F16-00002-of-00002.gguf")
    assert split.lfs.sha256 == hub.repos["acme/tiny-GGUF"].files[split.path].sha256


def test_search_without_network_says_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakehub import point_client_at

    point_client_at("http://127.0.0.1:9", monkeypatch)  # nothing listens on the discard port
    with pytest.raises(OfflineError, match="Your models and chats still work"):
        search("tiny")


def test_variants_join_split_parts_and_find_companions(hub: FakeHub) -> None:
    files = list_variants("acme/tiny-GGUF")
    by_quant = {v.quant: v for v in files.variants}
    assert set(by_quant) == {"Q8_0", "F16", "Q4_0"}
    f16 = by_quant["F16"]
    assert f16.folder == "F16" and len(f16.files) == 2 and f16.complete
    assert f16.size == sum(f.size for f in f16.files)
    repo = hub.repos["acme/tiny-GGUF"]
    assert f16.files[0].sha256 == repo.files["F16/tiny-F16-00001-of-00002.gguf"].sha256
    assert [p.path for p in files.projectors] == ["mmproj-tiny-F16.gguf"]
    assert by_quant["Q8_0"].companions == files.projectors
    assert files.revision == repo.sha and not files.gated
    assert choose(files, None) is by_quant["Q4_0"]  # the first usual 4-bit choice present
    assert choose(files, "q8_0") is by_quant["Q8_0"]
    assert choose(files, "F16/tiny-F16-00002-of-00002.gguf") is f16
    with pytest.raises(VariantNotFoundError, match="Available: F16, Q4_0, Q8_0"):
        choose(files, "IQ2_XXS")


def test_default_choice_without_a_usual_4_bit_quant_is_the_smallest_complete() -> None:
    from spark_desktop.hub.variants import HubFile, RepoFiles, group_files

    files = [HubFile("m-Q8_0.gguf", 800, None), HubFile("m-F16.gguf", 1600, None),
             HubFile("m-Q6_K.gguf", 600, None),
             HubFile("m-IQ1_S-00001-of-00002.gguf", 100, None)]  # smaller, but part 2 is missing
    variants, _ = group_files("org/m-GGUF", "a" * 40, files)
    chosen = choose(RepoFiles("org/m-GGUF", "a" * 40, False, variants, ()), None)
    assert chosen.quant == "Q6_K"
    assert [v.quant for v in variants if not v.complete] == ["IQ1_S"]


def test_remote_header_is_read_with_a_few_ranges(hub: FakeHub) -> None:
    variant = choose(list_variants("acme/tiny-GGUF"), "F16")
    spec = remote_spec(variant)
    assert spec.architecture == "llama" and spec.split_count == 2
    assert spec.file_size == variant.size
    total = sum(f.size for f in hub.repos["acme/tiny-GGUF"].files.values())
    assert hub.bytes_served() < total  # header only, never whole files


def test_fit_verdict_for_a_variant_from_the_remote_header(hub: FakeHub) -> None:
    from spark_desktop.fit import Verdict
    from spark_desktop.hub import fit_function

    variant = choose(list_variants("acme/tiny-GGUF"), "F16")
    small = fit_function("spark", 2048)(remote_spec(variant))
    assert small.verdict == Verdict.FITS and small.settings.n_ctx == 2048
    tiny_pool = fit_function("0.001", 2048)(remote_spec(variant))
    assert tiny_pool.verdict == Verdict.DOES_NOT_FIT


@pytest.mark.parametrize("name", [
    "../evil.gguf", "a/../../evil.gguf", "/etc/passwd.gguf", "C:\\x\\evil.gguf", "a\\..\\b.gguf",
    "ok/\x00.gguf", "bad\nname.gguf", "./x.gguf", "a//b.gguf", "~/x.gguf", "$(rm).gguf",
    ".hidden.gguf"])
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeFileNameError):
        check_repo_path(name)


def test_repo_with_hostile_file_name_is_refused(fake_hub: FakeHub) -> None:
    fake_hub.add_repo("evil/repo-GGUF", {"../../../outside-Q4_0.gguf": b"GGUF"})
    with pytest.raises(UnsafeFileNameError, match="Refusing the file name"):
        list_variants("evil/repo-GGUF")


def test_gated_repo_download_gives_a_clear_message(hub: FakeHub) -> None:
    from spark_desktop.hub import Downloads, State

    files = list_variants("acme/gated-GGUF")
    downloads = Downloads()
    job = downloads.add_variant(choose(files, None))
    result = downloads.wait(job, timeout=30)
    downloads.close()
    assert result.state == State.FAILED
    assert "accept the licence at" in result.error and "hf auth login" in result.error
    assert "acme/gated-GGUF" in result.error


def test_gated_remote_header_raises_access_error(hub: FakeHub) -> None:
    variant = choose(list_variants("acme/gated-GGUF"), None)
    with pytest.raises(HubAccessError, match="accept the licence"):
        remote_spec(variant)


@pytest.mark.parametrize("name,quant", [
    ("Qwen3-8B-Q4_K_M.gguf", "Q4_K_M"), ("gpt-oss-20b-MXFP4.gguf", "MXFP4"),
    ("Qwen3-30B-A3B-NVFP4.gguf", "NVFP4"), ("NVFP4/m-00001-of-00002.gguf", "NVFP4"),
    ("x-UD-Q4_K_XL-00001-of-00003.gguf", "UD-Q4_K_XL"), ("m.IQ4_XS.gguf", "IQ4_XS"),
    ("BF16/m-BF16-00001-of-00002.gguf", "BF16"), ("m-q8_0.gguf", "Q8_0"),
    ("Q5_K_S/model.gguf", "Q5_K_S"), ("m-IQ2_XXS.gguf", "IQ2_XXS"), ("model.gguf", "")])
def test_quant_names(name: str, quant: str) -> None:
    assert quant_of(name) == quant
