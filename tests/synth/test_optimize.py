"""The optimized voice graph: built once, checked against the original, same audio."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from vorlesen.config import Settings
from vorlesen.synth import optimize
from vorlesen.synth.base import EngineSpec, file_sha256
from vorlesen.synth.optimize import optimize_decoder, optimized_model, prepare_model
from vorlesen.synth.piper import PiperEngine, _runtime_fingerprint
from vorlesen.synth.select import choose_engine

SENTENCES = [
    "The council approved the budget on Tuesday after a long debate.",
    "Ticket prices will stay the same for at least another twelve months.",
]


@pytest.fixture(scope="module")
def optimized_joe(
    joe_model: Path, joe_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    cache = tmp_path_factory.mktemp("optimized")
    config = json.loads(joe_config.read_text(encoding="utf-8"))
    path = prepare_model(joe_model, config, file_sha256(joe_model), cache)
    assert path is not None and path.is_file()
    return path


def _decoder_conv_ranks(model: Any) -> set[int]:
    weights = {init.name: len(init.dims) for init in model.graph.initializer}
    return {
        weights[n.input[1]]
        for n in model.graph.node
        if n.name.startswith("/dec/") and n.op_type in ("Conv", "ConvTranspose")
    }


def test_decoder_convolutions_become_2d(joe_model: Path, optimized_joe: Path) -> None:
    """Every decoder convolution 4-D but the one-channel ``conv_post``, which stays 1-D with
    the ``tanh`` after it; the upsampling ``ConvTranspose`` nodes are polyphase ``Conv``s."""
    original = onnx.load(str(joe_model))
    assert _decoder_conv_ranks(original) == {3}
    rewritten = onnx.load(str(optimized_joe))
    ranks = _decoder_conv_ranks(rewritten)
    assert ranks == {4, 3}
    weights = {init.name: len(init.dims) for init in rewritten.graph.initializer}
    three_d = [
        n.name
        for n in rewritten.graph.node
        if n.name.startswith("/dec/") and n.op_type == "Conv" and weights[n.input[1]] == 3
    ]
    assert three_d == ["/dec/conv_post/Conv"]
    ops = [n.op_type for n in rewritten.graph.node]
    assert ops.count("ConvTranspose") == 0
    assert [n.op_type for n in original.graph.node].count("ConvTranspose") == 3
    assert sum(1 for n in rewritten.graph.node if n.name.endswith("__polyphase/Conv")) == 3
    producer = {out: n for n in rewritten.graph.node for out in n.output}
    tanh = next(n for n in rewritten.graph.node if n.name == "/dec/Tanh")
    assert producer[tanh.input[0]].name == "/dec/conv_post/Conv"  # no Squeeze after tanh
    assert producer[producer[tanh.input[0]].input[0]].op_type == "Squeeze"
    assert ops.count("Unsqueeze") == [n.op_type for n in original.graph.node].count("Unsqueeze") + 1
    assert ops.count("Squeeze") == [n.op_type for n in original.graph.node].count("Squeeze") + 1
    onnx.checker.check_model(rewritten)


def test_decoder_stays_in_the_blocked_layout(optimized_joe: Path) -> None:
    """No division left in the 4-D decoder, and every LeakyRelu there follows a Conv it can
    be fused into (ONNX Runtime's blocked layout has neither on their own)."""
    rewritten = onnx.load(str(optimized_joe))
    decoder = [n for n in rewritten.graph.node if n.name.startswith("/dec/")]
    assert not [n.name for n in decoder if n.op_type == "Div"]
    producer = {out: n for n in rewritten.graph.node for out in n.output}
    readers = [name for n in rewritten.graph.node for name in n.input]
    leaky = [n for n in decoder if n.op_type == "LeakyRelu"]
    assert len(leaky) > 10
    for node in leaky:
        assert producer[node.input[0]].op_type == "Conv", node.name
        assert readers.count(node.input[0]) == 1, node.name


def test_same_audio_as_the_original_graph(
    joe_model: Path, joe_config: Path, optimized_joe: Path
) -> None:
    """Noise off, so both graphs are deterministic: same length, samples within rounding."""
    plain = PiperEngine(joe_model, joe_config, noise_scale=0.0, noise_w_scale=0.0)
    fast = PiperEngine(
        joe_model, joe_config, noise_scale=0.0, noise_w_scale=0.0, session_model=optimized_joe
    )
    for sentence in SENTENCES:
        expected, actual = plain.synthesize(sentence), fast.synthesize(sentence)
        assert len(expected) == len(actual) > 22050
        assert float(np.max(np.abs(expected - actual))) < 1e-4
        assert float(np.sqrt(np.mean(actual**2))) > 0.01


def test_built_once_then_taken_from_the_cache(
    joe_model: Path, joe_config: Path, tmp_path: Path
) -> None:
    settings = Settings(cache_dir=tmp_path, optimize_voices=True)
    first = optimized_model(joe_model, joe_config, settings)
    assert first is not None and first.parent == tmp_path / "optimized"
    assert file_sha256(joe_model) in first.name
    stamp = first.stat().st_mtime_ns
    assert optimized_model(joe_model, joe_config, settings) == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "optimized").iterdir()] == [first.name]  # no temp left


def test_switched_off(joe_model: Path, joe_config: Path, tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path, optimize_voices=False)
    assert optimized_model(joe_model, joe_config, settings) is None
    assert not (tmp_path / "optimized").exists()


def _tiny_model(path: Path) -> Path:
    """A valid ONNX model without a Piper decoder."""
    node = helper.make_node("Relu", ["x"], ["y"], name="/enc/relu")
    graph = helper.make_graph(
        [node],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_model_without_decoder_keeps_the_original(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "tiny.onnx")
    cache = tmp_path / "cache"
    assert prepare_model(model, {}, "abc", cache) is None
    assert (cache / f"abc-v{optimize.REWRITE_VERSION}.skip").is_file()  # not tried again
    assert prepare_model(model, {}, "abc", cache) is None


def test_corrupt_model_is_left_to_the_engine_to_report(tmp_path: Path) -> None:
    """No optimized copy, and a marker so later renders do not try again (a repaired file
    has another hash, so it is tried afresh)."""
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"\x00not a model" * 100)
    assert prepare_model(model, {}, "def", tmp_path / "cache") is None
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [
        f"def-v{optimize.REWRITE_VERSION}.skip"
    ]


def test_a_rewrite_that_changes_the_audio_is_rejected(
    joe_model: Path,
    joe_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The check runs the original and the rewrite on a test utterance: a rewrite that would
    change the sound (here: one decoder weight scaled) is never used."""

    def damaging(model: Any) -> Any:
        model = optimize_decoder(model)
        init = next(i for i in model.graph.initializer if i.name == "dec.conv_post.weight")
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 1.5, init.name))
        return model

    monkeypatch.setattr(optimize, "optimize_decoder", damaging)
    config = json.loads(joe_config.read_text(encoding="utf-8"))
    with caplog.at_level("INFO", logger="vorlesen.synth.optimize"):
        assert prepare_model(joe_model, config, "ghi", tmp_path) is None
    assert "samples differ" in caplog.text
    assert (tmp_path / f"ghi-v{optimize.REWRITE_VERSION}.skip").is_file()


def test_the_graph_as_prepared_for_this_machine_is_kept_and_reused(
    joe_model: Path, joe_config: Path, optimized_joe: Path, tmp_path: Path
) -> None:
    model = tmp_path / optimized_joe.name
    shutil.copyfile(optimized_joe, model)

    def engine() -> PiperEngine:
        return PiperEngine(
            joe_model, joe_config, noise_scale=0.0, noise_w_scale=0.0, session_model=model
        )

    first = engine()
    prepared = tmp_path / f"{model.stem}.ort-{_runtime_fingerprint()}.onnx"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([model.name, prepared.name])
    stamp = prepared.stat().st_mtime_ns
    second = engine()  # loads the kept copy: it is not written again
    assert prepared.stat().st_mtime_ns == stamp
    expected = first.synthesize(SENTENCES[0])
    assert np.array_equal(second.synthesize(SENTENCES[0]), expected)
    assert second.synthesize_timed(SENTENCES[0])[1]  # the alignment output is kept too
    prepared.write_bytes(b"\x08\x07truncated")  # damaged: prepared again, same voice
    third = engine()
    assert np.array_equal(third.synthesize(SENTENCES[0]), expected)
    assert prepared.stat().st_size > 1_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([model.name, prepared.name])


def test_engine_falls_back_when_the_optimized_file_is_gone(
    joe_model: Path, joe_config: Path, tmp_path: Path
) -> None:
    engine = PiperEngine(joe_model, joe_config, session_model=tmp_path / "missing.onnx")
    assert len(engine.synthesize(SENTENCES[0])) > 22050


def test_a_damaged_optimized_file_is_removed_and_the_original_used(
    joe_model: Path, joe_config: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(b"\x08\x07truncated")
    engine = PiperEngine(joe_model, joe_config, session_model=damaged)
    assert len(engine.synthesize(SENTENCES[0])) > 22050
    assert not damaged.exists()  # the next render builds it again


def test_choose_engine_uses_it_without_changing_the_cache_key(
    joe_model: Path, tmp_path: Path
) -> None:
    on, _ = choose_engine(
        "piper",
        str(joe_model),
        speed=1.0,
        settings=Settings(cache_dir=tmp_path, offline=True, optimize_voices=True),
    )
    off, _ = choose_engine(
        "piper",
        str(joe_model),
        speed=1.0,
        settings=Settings(cache_dir=tmp_path, offline=True, optimize_voices=False),
    )
    assert on.session_model is not None and on.session_model.is_file()
    assert off.session_model is None
    assert on.cache_key() == off.cache_key()  # same sound: cached utterances stay valid
    assert isinstance(on.open(), PiperEngine)
    assert EngineSpec.__dataclass_fields__["session_model"].default is None


def test_read_end_to_end_with_the_optimized_graph(joe_model: Path, tmp_path: Path) -> None:
    """`vorlesen read` as a user runs it (optimization on by default) builds the graph into
    the cache directory and renders with it."""
    article = tmp_path / "a.txt"
    article.write_text(" ".join(SENTENCES), encoding="utf-8")
    out = tmp_path / "a.wav"
    env = {
        **os.environ,
        "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
        "VORLESEN_OFFLINE": "1",
    }
    env.pop("VORLESEN_OPTIMIZE_VOICES", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vorlesen.cli",
            "read",
            str(article),
            "--lang",
            "en",
            "--voice",
            str(joe_model),
            "--format",
            "wav",
            "-o",
            str(out),
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    built = sorted(p.name for p in (tmp_path / "cache" / "optimized").glob("*.onnx"))
    name = f"{file_sha256(joe_model)}-v{optimize.REWRITE_VERSION}"
    assert built == [f"{name}.onnx", f"{name}.ort-{_runtime_fingerprint()}.onnx"]
    assert out.stat().st_size > 2 * 22050 * 2  # over two seconds of 16-bit audio


def _decoder_like(path: Path) -> Path:
    """A small graph shaped like a multi-speaker Piper decoder: the latent and a speaker
    embedding enter ``/dec/`` from outside, a strided transposed convolution upsamples,
    a residual block adds, a scalar divides, and the audio leaves through ``tanh``."""
    rng = np.random.default_rng(7)

    def weight(name: str, *shape: int) -> Any:
        return numpy_helper.from_array(rng.normal(0, 0.3, shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Mul", ["z", "half"], ["z2"], name="/flow/Mul"),
        helper.make_node(
            "Conv",
            ["z2", "w_pre", "b_pre"],
            ["pre"],
            name="/dec/conv_pre/Conv",
            kernel_shape=[7],
            pads=[3, 3],
        ),
        helper.make_node(
            "Conv", ["g", "w_cond"], ["cond"], name="/dec/cond/Conv", kernel_shape=[1]
        ),
        helper.make_node("Add", ["pre", "cond"], ["x0"], name="/dec/Add"),
        helper.make_node("LeakyRelu", ["x0"], ["x1"], name="/dec/LeakyRelu", alpha=0.1),
        helper.make_node(
            "ConvTranspose",
            ["x1", "w_up", "b_up"],
            ["up"],
            name="/dec/ups.0/ConvTranspose",
            kernel_shape=[8],
            strides=[4],
            pads=[2, 2],
        ),
        helper.make_node(
            "Conv",
            ["up", "w_res"],
            ["res"],
            name="/dec/resblocks.0/Conv",
            kernel_shape=[3],
            pads=[3, 3],
            dilations=[3],
        ),
        helper.make_node("Add", ["res", "up"], ["sum"], name="/dec/resblocks.0/Add"),
        helper.make_node("Div", ["sum", "three"], ["avg"], name="/dec/Div"),
        helper.make_node(
            "Conv",
            ["avg", "w_post"],
            ["post"],
            name="/dec/conv_post/Conv",
            kernel_shape=[7],
            pads=[3, 3],
        ),
        helper.make_node("Tanh", ["post"], ["wave"], name="/dec/Tanh"),
        helper.make_node("Mul", ["wave", "half"], ["audio"], name="/out/Mul"),
    ]
    inits = [
        weight("w_pre", 16, 8, 7),
        weight("b_pre", 16),
        weight("w_cond", 16, 4, 1),
        weight("w_up", 16, 8, 8),
        weight("b_up", 8),
        weight("w_res", 8, 8, 3),
        weight("w_post", 1, 8, 7),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"),
        numpy_helper.from_array(np.array(3.0, dtype=np.float32), "three"),
    ]
    graph = helper.make_graph(
        nodes,
        "decoder_like",
        [
            helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 8, "t"]),
            helper.make_tensor_value_info("g", TensorProto.FLOAT, [1, 4, 1]),
        ],
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, [1, 1, "n"])],
        inits,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]), str(path))
    return path


def _read_outside(model: Any) -> None:
    """A decoder tensor (``x0``) that a node outside the decoder reads too."""
    model.graph.node.append(helper.make_node("Mul", ["x0", "half"], ["side"], name="/side/Mul"))
    model.graph.output.append(
        helper.make_tensor_value_info("side", TensorProto.FLOAT, [1, 16, "t"])
    )


def _output_padding(model: Any) -> None:
    up = next(n for n in model.graph.node if n.op_type == "ConvTranspose")
    up.attribute.append(helper.make_attribute("output_padding", [1]))


@pytest.mark.parametrize(
    ("variant", "length", "squeezes", "transposed"),
    [(None, 200, 1, 0), (_read_outside, 200, 2, 0), (_output_padding, 201, 1, 1)],
    ids=["plain", "tensor-read-outside", "output-padding"],
)
def test_rewrite_keeps_every_way_into_and_out_of_the_decoder(
    tmp_path: Path, variant: Any, length: int, squeezes: int, transposed: int
) -> None:
    """The 4-D region ends before the one-channel ``conv_post`` and its ``tanh``; the
    ``ConvTranspose`` becomes a polyphase ``Conv`` unless it has an output padding."""
    import onnxruntime

    original = onnx.load(str(_decoder_like(tmp_path / "dec.onnx")))
    if variant is not None:
        variant(original)
    rewritten = optimize_decoder(onnx.ModelProto.FromString(original.SerializeToString()))
    onnx.checker.check_model(rewritten)
    assert [n.op_type for n in rewritten.graph.node].count("Unsqueeze") == 2  # z2 and g
    assert [n.op_type for n in rewritten.graph.node].count("Squeeze") == squeezes
    assert [n.op_type for n in rewritten.graph.node].count("ConvTranspose") == transposed
    assert "Div" not in [n.op_type for n in rewritten.graph.node]  # a depthwise Conv now
    weights = {init.name: len(init.dims) for init in rewritten.graph.initializer}
    post = next(n for n in rewritten.graph.node if n.name == "/dec/conv_post/Conv")
    assert weights[post.input[1]] == 3  # the audio channel stays 1-D, tanh too
    feeds = {
        "z": np.random.default_rng(1).normal(size=(1, 8, 50)).astype(np.float32),
        "g": np.random.default_rng(2).normal(size=(1, 4, 1)).astype(np.float32),
    }
    before, after = (
        onnxruntime.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        ).run(None, feeds)
        for model in (original, rewritten)
    )
    assert before[0].shape == (1, 1, length)
    for expected, actual in zip(before, after, strict=True):
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_rewrite_refuses_a_weight_used_outside_the_decoder(tmp_path: Path) -> None:
    model = onnx.load(str(_decoder_like(tmp_path / "dec.onnx")))
    side = helper.make_node("Conv", ["z", "w_pre"], ["side"], name="/side/Conv", pads=[3, 3])
    model.graph.node.append(side)
    with pytest.raises(optimize._NotApplicable, match="shares its weight"):
        optimize_decoder(model)


def test_rewrite_refuses_a_broadcast_it_cannot_carry(tmp_path: Path) -> None:
    """A per-channel constant ``[c, 1]`` would broadcast wrongly against ``[b, c, 1, t]``."""
    model = onnx.load(str(_decoder_like(tmp_path / "dec.onnx")))
    scale = numpy_helper.from_array(np.ones((8, 1), dtype=np.float32), "per_channel")
    model.graph.initializer.append(scale)
    div = next(n for n in model.graph.node if n.name == "/dec/Div")
    div.input[1] = "per_channel"
    with pytest.raises(optimize._NotApplicable, match="non-scalar"):
        optimize_decoder(model)


def test_unwritable_cache_renders_with_the_original(
    joe_model: Path, joe_config: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be", encoding="utf-8")
    config = json.loads(joe_config.read_text(encoding="utf-8"))
    assert prepare_model(joe_model, config, "jkl", blocked / "optimized") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-dir"]  # no temp file left


def test_rewrite_refuses_convolution_attributes_it_does_not_carry(tmp_path: Path) -> None:
    model = onnx.load(str(_decoder_like(tmp_path / "dec.onnx")))
    res = next(n for n in model.graph.node if n.name == "/dec/resblocks.0/Conv")
    del res.attribute[:]
    res.attribute.extend(
        [
            helper.make_attribute("kernel_shape", [3]),
            helper.make_attribute("auto_pad", "SAME_UPPER"),
        ]
    )
    with pytest.raises(optimize._NotApplicable, match="auto_pad"):
        optimize_decoder(model)


@pytest.mark.parametrize(
    ("stride", "pad", "bias"),
    [(8, 4, True), (4, 2, False), (2, 1, True), (4, 1, True), (8, 3, True)],
)
def test_polyphase_upsampling_equals_the_transposed_convolution(
    stride: int, pad: int, bias: bool
) -> None:
    """HiFi-GAN's upsampling shapes (kernel twice the stride) and others with the same
    kernel: one ``Conv`` with interleaved phases, the same samples as ``ConvTranspose``."""
    import onnxruntime

    rng = np.random.default_rng(stride * 10 + pad)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.3, (6, 5, 2 * stride)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.normal(0, 0.3, (5,)).astype(np.float32), "b"),
    ]
    up = helper.make_node(
        "ConvTranspose",
        ["x", "w", "b"] if bias else ["x", "w"],
        ["y"],
        name="/dec/ups.0/ConvTranspose",
        kernel_shape=[2 * stride],
        strides=[stride],
        pads=[pad, pad],
    )
    graph = helper.make_graph(
        [up],
        "up",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6, "t"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5, "n"])],
        inits if bias else inits[:1],
    )
    original = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    rewritten = optimize_decoder(onnx.ModelProto.FromString(original.SerializeToString()))
    onnx.checker.check_model(rewritten)
    ops = [n.op_type for n in rewritten.graph.node]
    assert "ConvTranspose" not in ops and "Conv" in ops
    assert {i.name for i in rewritten.graph.initializer}.isdisjoint({"w", "b"})  # replaced
    for frames in (1, 2, 37):
        feeds = {"x": rng.normal(size=(1, 6, frames)).astype(np.float32)}
        before, after = (
            onnxruntime.InferenceSession(
                model.SerializeToString(), providers=["CPUExecutionProvider"]
            ).run(None, feeds)[0]
            for model in (original, rewritten)
        )
        assert (
            before.shape == after.shape == (1, 5, frames * stride + 2 * stride - 2 * pad - stride)
        )
        np.testing.assert_allclose(after, before, atol=1e-5)
