"""The small public API: every exported name exists, is documented, and works."""

from __future__ import annotations

import vorlesen


def test_all_is_sorted_and_documented() -> None:
    assert vorlesen.__all__ == sorted(vorlesen.__all__)
    for name in vorlesen.__all__:
        obj = getattr(vorlesen, name)
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_stages_compose_without_audio() -> None:
    document = vorlesen.Document.build(
        [("title", "Streik bei der Bahn"), ("paragraph", "Am 1. Mai fahren 50 % der Züge.")]
    )
    script = vorlesen.make_script(document)
    assert [u.spoken for u in script.utterances] == [
        "Streik bei der Bahn",
        "Am ersten Mai fahren fünfzig Prozent der Züge.",
    ]
    assert script.utterances[1].start == document.blocks[1].start
    assert vorlesen.normalize("Es endete 3:1.", "de").text == "Es endete drei zu eins."


def test_render_a_document_into_memory(tmp_path: object) -> None:
    from vorlesen.config import Settings

    target = vorlesen.MemoryTarget("wav")
    request = vorlesen.RenderRequest(
        source=vorlesen.Document.build([("paragraph", "Am 1. Mai fahren 50 % der Züge.")]),
        options=vorlesen.RenderOptions(engine="espeak", jobs=1, use_cache=False),
    )
    rendered = vorlesen.render(request, target, settings=Settings(offline=True))
    assert target.data[:4] == b"RIFF" and len(target.data) > 20_000
    assert rendered.spec.engine == "espeak"
    assert rendered.script.utterances[0].spoken == "Am ersten Mai fahren fünfzig Prozent der Züge."
    assert rendered.audio.duration > 1.0
