"""A faster, numerically equivalent copy of a Piper voice model for ONNX Runtime on CPUs.

Most of a Piper voice's inference time goes to its HiFi-GAN decoder (``/dec/…``): chains
of 1-D convolutions over every audio sample. ONNX Runtime runs 1-D convolutions through
im2col and a matrix product, but has much faster blocked-layout ("NCHWc") kernels for 2-D
convolutions, with activations and residual additions fused in. A 1-D convolution over
``[batch, channels, time]`` is exactly a 2-D convolution over ``[batch, channels, 1, time]``
with a ``1 × k`` kernel, so :func:`optimize_decoder` rewrites the decoder that way: one
``Unsqueeze`` where the decoder's input enters, every ``Conv``/``ConvTranspose`` with a 4-D
kernel, one ``Squeeze`` before the last, one-channel convolution (``conv_post``), which
stays 1-D with its ``tanh``: in the blocked layout both would run on 8 or 16 padded
channels. Two more steps keep the 4-D region in that layout end to end:

* each upsampling ``ConvTranspose`` (stride ``s``, kernel ``2s``) becomes a polyphase
  ``Conv`` with ``s × C_out`` output channels and a ``1 × 2`` kernel, interleaved back into
  time (:func:`_polyphase_upsampling`): same products, but a blocked-layout kernel;
* divisions by a constant and ``LeakyRelu`` nodes that have no ``Conv`` to fuse into
  become or get a 1 × 1 depthwise ``Conv`` (:func:`_keep_blocked_layout`), so ONNX Runtime
  no longer converts the residual stream to the plain layout and back around each.

Same weights, same arithmetic up to the order of float operations: the audio differs
from the original model's by float rounding only (≈5e-7). Measured on a 2-core AMD EPYC
(Zen 4, AVX-512), ONNX Runtime 1.32, one thread, voice en_US-joe-medium, 1–8 s
utterances: 0.075–0.078 s per second of audio with the original graph, 0.068–0.072 with
the plain 2-D rewrite (1.09–1.11×), 0.064–0.067 with all of the above (1.15–1.18×; the
polyphase upsampling and the 1-D tail ≈3 %, the blocked-layout step ≈3 % more).

The same copy also carries Piper's alignment output (:func:`vorlesen.synth.piper.
add_alignment`, piper-tts's ``add_alignment_output``): the duration predictor's
``w_ceil`` — frames per phoneme id — marked as a second graph output, so every utterance
tells how many samples each phoneme lasts and the engine can time each word exactly. It
adds no computation (the tensor is computed anyway); the check also confirms the durations
add up to the audio's length. A voice whose decoder the rewrite does not know still gets
a copy with the alignment output alone.

:func:`prepare_model` builds the copy once per voice file, checks it against the original
on a test utterance (identical length, samples within :data:`_TOLERANCE`), and keeps it in
the cache directory keyed by the model's SHA-256. Anything unexpected (a decoder with other
operators, an old export without ``/dec/`` node names, a failed check, no ``onnx``
package) leaves the original model in use: this is an optimization, never a failure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from vorlesen.config import Settings
from vorlesen.errors import UsageError
from vorlesen.fileio import write_bytes_atomic
from vorlesen.synth.base import file_sha256

__all__ = ["REWRITE_VERSION", "optimize_decoder", "optimized_model", "prepare_model"]

_LOGGER = logging.getLogger(__name__)

REWRITE_VERSION = 4
"""Part of the cached file's name: bump when the rewrite changes."""

_DECODER_PREFIX = "/dec/"
"""Node-name scope of the decoder in Piper's exports (torch module ``dec``)."""
_CONV_OPS = frozenset({"Conv", "ConvTranspose"})
_CONV_ATTRIBUTES = frozenset(
    {"dilations", "group", "kernel_shape", "output_padding", "pads", "strides"}
)
"""Convolution attributes the rewrite carries to 2-D; any other makes it step back."""
_ELEMENTWISE_OPS = frozenset({"Add", "Sub", "Mul", "Div", "LeakyRelu", "Relu", "Tanh", "Sigmoid"})
"""Operators that work on a ``[b, c, 1, t]`` tensor exactly as on ``[b, c, t]``."""
_UNARY_OPS = frozenset({"LeakyRelu", "Relu", "Tanh", "Sigmoid"})
"""Activations that stay 1-D with a one-channel convolution before them."""
_TOLERANCE = 1e-4
"""Largest sample difference (full scale 1.0) the check accepts; measured ≈1e-6."""
_AXIS = "vorlesen_axis_2"
_HOP_LENGTH = 256
"""Audio samples per duration frame when the voice config names none (Piper's default)."""
"""Name of the ``[2]`` initializer the inserted Unsqueeze/Squeeze nodes use."""


class _NotApplicable(Exception):
    """The model does not have the shape this rewrite knows; keep the original."""


def _attribute_ints(node: Any, name: str) -> list[int] | None:
    for attr in node.attribute:
        if attr.name == name:
            return list(attr.ints)
    return None


def _set_attribute_ints(node: Any, name: str, values: Iterable[int]) -> None:
    for attr in node.attribute:
        if attr.name == name:
            attr.ints[:] = list(values)
            return


def _scalar_operands_only(node: Any, constants: dict[str, int]) -> bool:
    """Binary elementwise nodes may broadcast only scalars from outside the decoder."""
    return all(constants.get(name, 1) <= 1 for name in node.input)


def optimize_decoder(model: Any) -> Any:
    """Rewrite ``model`` (an ``onnx.ModelProto``) in place: 1-D decoder convolutions as 2-D.

    Raises:
        _NotApplicable: the decoder is missing or holds operators the rewrite does not know.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    constant_sizes: dict[str, int] = {
        name: int(np.prod(init.dims)) for name, init in initializers.items()
    }
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            constant_sizes[node.output[0]] = int(np.prod(node.attribute[0].t.dims))

    scope = [i for i, n in enumerate(graph.node) if n.name.startswith(_DECODER_PREFIX)]
    if not any(graph.node[i].op_type in _CONV_OPS for i in scope):
        raise _NotApplicable("no decoder convolutions")
    # Positions in graph.node of the nodes that become 4-D.
    inside = set(scope) - _single_channel_tail(graph, scope, initializers)
    decoder = [graph.node[i] for i in sorted(inside)]
    produced = [out for n in decoder for out in n.output]
    outside_constants = {k: v for k, v in constant_sizes.items() if k not in set(produced)}
    # Every activation entering the decoder from outside gets one Unsqueeze.
    entering: list[str] = []
    for node in decoder:
        if node.op_type in _CONV_OPS:
            weight = initializers.get(node.input[1]) if len(node.input) > 1 else None
            if weight is None or len(weight.dims) != 3:
                raise _NotApplicable(f"{node.name}: weight is not a 3-D initializer")
            kernel = _attribute_ints(node, "kernel_shape")
            if kernel is not None and len(kernel) != 1:
                raise _NotApplicable(f"{node.name}: not a 1-D convolution")
            unknown = {a.name for a in node.attribute} - _CONV_ATTRIBUTES
            if unknown:  # auto_pad, output_shape: not carried over
                raise _NotApplicable(f"{node.name}: attributes {sorted(unknown)}")
            activations = [node.input[0]]
        elif node.op_type in _ELEMENTWISE_OPS:
            if len(node.input) > 1 and not _scalar_operands_only(node, outside_constants):
                raise _NotApplicable(f"{node.name}: broadcasts a non-scalar constant")
            activations = [name for name in node.input if name not in constant_sizes]
        else:
            raise _NotApplicable(f"{node.name}: operator {node.op_type} in the decoder")
        for name in activations:
            if name not in produced and name not in entering:
                entering.append(name)
    consumers_outside = {
        name for i, n in enumerate(graph.node) if i not in inside for name in n.input
    } | {out.name for out in graph.output}
    leaving = [name for name in produced if name in consumers_outside]
    if not entering or not leaving:
        raise _NotApplicable("decoder has no clear input or output")

    graph.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), _AXIS))
    rename = {name: f"{name}__4d" for name in entering + leaving}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    entering_renamed = {rename[name]: name for name in entering}
    leaving_renamed = {rename[name]: name for name in leaving}
    inserted: set[str] = set()
    for node in decoder:
        for i, name in enumerate(node.input):
            if name in rename:  # entering, or leaving but also read inside: the 4-D one
                node.input[i] = rename[name]
        for i, name in enumerate(node.output):
            if name in rename:
                node.output[i] = rename[name]
        if node.op_type in _CONV_OPS:
            weight = initializers[node.input[1]]
            if uses[weight.name] > 1:  # another node needs it 3-D (or reshapes it twice)
                raise _NotApplicable(f"{node.name}: shares its weight")
            weight.CopyFrom(
                numpy_helper.from_array(numpy_helper.to_array(weight)[:, :, None, :], weight.name)
            )
            for name in ("dilations", "strides", "kernel_shape"):
                values = _attribute_ints(node, name)
                if values is not None:
                    _set_attribute_ints(node, name, [1, *values])
            padding = _attribute_ints(node, "output_padding")
            if padding is not None:
                _set_attribute_ints(node, "output_padding", [0, *padding])
            pads = _attribute_ints(node, "pads")
            if pads is not None:
                _set_attribute_ints(node, "pads", [0, pads[0], 0, pads[1]])
    # Each Unsqueeze goes just before the first decoder node reading its input, each Squeeze
    # just after the node writing its output, so the graph stays topologically sorted.
    nodes: list[Any] = []
    for position, node in enumerate(graph.node):
        if position in inside:
            for name in node.input:
                original = entering_renamed.get(name)
                if original is not None and original not in inserted:
                    inserted.add(original)
                    nodes.append(
                        helper.make_node(
                            "Unsqueeze", [original, _AXIS], [name], name=f"{original}__unsqueeze"
                        )
                    )
        nodes.append(node)
        for name in node.output:
            if name in leaving_renamed:
                nodes.append(
                    helper.make_node(
                        "Squeeze", [name, _AXIS], [leaving_renamed[name]], name=f"{name}__squeeze"
                    )
                )
    del graph.node[:]
    graph.node.extend(nodes)
    _polyphase_upsampling(graph)
    _keep_blocked_layout(graph, {n.name for n in decoder})
    return model


def _single_channel_tail(graph: Any, scope: list[int], initializers: dict[str, Any]) -> set[int]:
    """Positions of the decoder's last convolution when it has a single output channel
    (Piper's ``conv_post``, the audio) and of the activations that follow it: they stay 1-D.

    ONNX Runtime's blocked layout pads channels to blocks of 8 or 16, so a one-channel
    convolution and its ``tanh`` would do that many times the work in 4-D.
    """
    tail: set[int] = set()
    readers: dict[str, list[int]] = {}
    for position in scope:
        for name in graph.node[position].input:
            readers.setdefault(name, []).append(position)
    for position in scope:
        node = graph.node[position]
        weight = initializers.get(node.input[1]) if node.op_type == "Conv" else None
        if weight is None or not weight.dims or weight.dims[0] != 1:
            continue
        chain = [position]
        while True:
            following = readers.get(graph.node[chain[-1]].output[0], [])
            if len(following) != 1 or graph.node[following[0]].op_type not in _UNARY_OPS:
                break
            chain.append(following[0])
        tail.update(chain)
    return tail


def _polyphase_upsampling(graph: Any) -> None:
    """Each upsampling ``ConvTranspose`` (stride ``s``, kernel ``2s``, pads ``p``) of the
    2-D decoder as one ``Conv`` with ``s × C_out`` output channels and a ``1 × 2`` kernel,
    interleaved back into time.

    Output sample ``n = j·s + r − p`` of the transposed convolution reads input frames
    ``j − 1`` and ``j`` with kernel taps ``r + s`` and ``r``: channel ``c·s + r`` of the
    ``Conv`` (pads 1, so ``T + 1`` frames) computes it, ``Reshape``/``Transpose``/
    ``Reshape`` put phase ``r`` of frame ``j`` at time ``j·s + r``, and a ``Slice`` drops
    the ``p`` samples on either side that the padding cuts off. Same products and sums as
    the transposed convolution, but the ``Conv`` runs in ONNX Runtime's blocked layout.
    A transposed convolution of another shape stays as it is.
    """
    initializers = {init.name: init for init in graph.initializer}
    nodes: list[Any] = []
    replaced: set[str] = set()
    for node in graph.node:
        replacement = None
        if node.op_type == "ConvTranspose" and node.name.startswith(_DECODER_PREFIX):
            replacement = _polyphase(node, initializers)
        if replacement is None:
            nodes.append(node)
            continue
        new_nodes, new_initializers = replacement
        nodes.extend(new_nodes)
        graph.initializer.extend(new_initializers)
        replaced.update(node.input[1:])
    del graph.node[:]
    graph.node.extend(nodes)
    read = {name for node in graph.node for name in node.input}
    unused = [i for i in graph.initializer if i.name in replaced and i.name not in read]
    for init in unused:
        graph.initializer.remove(init)


def _polyphase(node: Any, initializers: dict[str, Any]) -> tuple[list[Any], list[Any]] | None:
    """The nodes and initializers replacing one transposed convolution; ``None`` where it
    has a shape :func:`_polyphase_upsampling` does not handle."""
    from onnx import helper, numpy_helper

    weight = initializers.get(node.input[1])
    has_bias = len(node.input) > 2 and bool(node.input[2])
    bias = initializers.get(node.input[2]) if has_bias else None
    if weight is None or len(weight.dims) != 4 or (has_bias and bias is None):
        return None
    w = numpy_helper.to_array(weight)
    c_in, c_out, height, kernel = w.shape
    strides = _attribute_ints(node, "strides") or [1, 1]
    pads = _attribute_ints(node, "pads") or [0, 0, 0, 0]
    dilations = _attribute_ints(node, "dilations") or [1, 1]
    padding = _attribute_ints(node, "output_padding") or [0, 0]
    group = next((a.i for a in node.attribute if a.name == "group"), 1)
    s = strides[1]
    p = pads[1]
    if (
        height != 1
        or strides[0] != 1
        or group != 1
        or dilations != [1, 1]
        or any(padding)
        or pads[0] != 0
        or pads[2] != 0
        or pads[3] != p
        or s < 2
        or kernel != 2 * s
        or not 0 < p < s
    ):
        return None
    # taps[c·s + r, ci, 0, t]: tap r + s for frame j − 1 (t = 0), tap r for frame j (t = 1).
    taps = np.stack([w[:, :, 0, s:], w[:, :, 0, :s]], axis=-1)  # [ci, co, r, t]
    taps = taps.transpose(1, 2, 0, 3).reshape(c_out * s, c_in, 1, 2)
    base = node.name
    conv_w = numpy_helper.from_array(np.ascontiguousarray(taps), f"{base}__polyphase_w")
    extra = [conv_w]
    inputs = [node.input[0], conv_w.name]
    if bias is not None:
        conv_b = numpy_helper.from_array(
            np.repeat(numpy_helper.to_array(bias), s), f"{base}__polyphase_b"
        )
        extra.append(conv_b)
        inputs.append(conv_b.name)
    shapes = {
        "split": [0, c_out, s, -1],
        "joined": [0, c_out, 1, -1],
        "starts": [p],
        "ends": [-p],
        "axes": [3],
    }
    for key, values in shapes.items():
        extra.append(
            numpy_helper.from_array(np.array(values, dtype=np.int64), f"{base}__polyphase_{key}")
        )
    name = f"{base}__polyphase"
    out = node.output[0]
    new_nodes = [
        helper.make_node(
            "Conv",
            inputs,
            [f"{name}_conv"],
            name=f"{name}/Conv",
            kernel_shape=[1, 2],
            pads=[0, 1, 0, 1],
            strides=[1, 1],
            dilations=[1, 1],
        ),
        helper.make_node(
            "Reshape",
            [f"{name}_conv", f"{name}_split"],
            [f"{name}_split_out"],
            name=f"{name}/Reshape",
        ),
        helper.make_node(
            "Transpose",
            [f"{name}_split_out"],
            [f"{name}_transposed"],
            name=f"{name}/Transpose",
            perm=[0, 1, 3, 2],
        ),
        helper.make_node(
            "Reshape",
            [f"{name}_transposed", f"{name}_joined"],
            [f"{name}_joined_out"],
            name=f"{name}/Reshape_1",
        ),
        helper.make_node(
            "Slice",
            [f"{name}_joined_out", f"{name}_starts", f"{name}_ends", f"{name}_axes"],
            [f"{name}_sliced"],
            name=f"{name}/Slice",
        ),
        # Back into the blocked layout once, not before each reader (see _keep_blocked_layout).
        _depthwise(f"{name}_sliced", out, f"{name}/Identity", c_out, 1.0, extra),
    ]
    return new_nodes, extra


def _depthwise(
    source: str, target: str, name: str, channels: int, scale: float, into: list[Any]
) -> Any:
    """A 1 × 1 depthwise ``Conv`` multiplying every channel by ``scale``; its weight goes
    into ``into``."""
    from onnx import helper, numpy_helper

    weight = numpy_helper.from_array(
        np.full((channels, 1, 1, 1), scale, dtype=np.float32), f"{name}__weight"
    )
    into.append(weight)
    return helper.make_node(
        "Conv", [source, weight.name], [target], name=name, kernel_shape=[1, 1], group=channels
    )


def _keep_blocked_layout(graph: Any, region: set[str]) -> None:
    """Keep the 4-D decoder in ONNX Runtime's blocked layout from end to end.

    ONNX Runtime's blocked-layout pass knows ``Conv`` (with an activation fused into it),
    ``Add`` and a few activations, but not a ``LeakyRelu`` of its own nor a division by a
    constant: before each it converts the tensor back to the plain layout and after it
    forward again, and a residual stream that is plain makes every ``Conv`` output beside
    it plain too. HiFi-GAN has such a ``LeakyRelu`` at the head of every residual branch
    and divides the sum of its residual blocks by their number. So, in the 4-D region:

    * ``x / c`` and ``x · c`` for a scalar constant ``c`` become a 1 × 1 depthwise ``Conv``
      with weight ``1/c`` or ``c`` (float rounding of ``1/c`` only);
    * a ``LeakyRelu`` that ONNX Runtime cannot fuse into the ``Conv`` before it gets a 1 × 1
      depthwise ``Conv`` with weight 1 in front (exact), which it then fuses into.

    A tensor whose channel count is not known from the convolution producing it is left
    as it is.
    """
    from onnx import numpy_helper

    initializers = {init.name: init for init in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    scalars: dict[str, float] = {}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            value = numpy_helper.to_array(node.attribute[0].t)
            if value.size == 1:
                scalars[node.output[0]] = float(value.reshape(()))
    for init in graph.initializer:
        if int(np.prod(init.dims)) == 1 and init.data_type == 1:  # FLOAT
            scalars[init.name] = float(numpy_helper.to_array(init).reshape(()))

    def channels(name: str) -> int | None:
        """Channels of a 4-D tensor: those of the ``Conv`` it comes from elementwise."""
        for _ in range(len(graph.node)):
            node = producer.get(name)
            if node is None:
                return None
            if node.op_type == "Conv" and node.input[1] in initializers:
                return int(initializers[node.input[1]].dims[0])
            if node.op_type not in _ELEMENTWISE_OPS:
                return None
            name = next((i for i in node.input if i in producer and i not in scalars), "")
        return None

    added: list[Any] = []
    divisors: set[str] = set()
    nodes: list[Any] = []
    for node in graph.node:
        if node.name.split("__polyphase")[0] not in region:
            nodes.append(node)
            continue
        source = node.input[0]
        count = channels(source)
        if (
            count is not None
            and node.op_type in ("Div", "Mul")
            and len(node.input) == 2
            and node.input[1] in scalars
        ):
            factor = scalars[node.input[1]]
            scale = 1.0 / factor if node.op_type == "Div" else factor
            if np.isfinite(scale) and scale != 0.0:
                nodes.append(
                    _depthwise(source, node.output[0], f"{node.name}__conv", count, scale, added)
                )
                divisors.add(node.input[1])
                continue
        if count is not None and node.op_type == "LeakyRelu":
            before = producer.get(source)
            fused = before is not None and before.op_type == "Conv" and readers[source] == 1
            if not fused:
                plain = f"{source}__{node.name}__blocked"
                nodes.append(_depthwise(source, plain, f"{node.name}__conv", count, 1.0, added))
                node.input[0] = plain
        nodes.append(node)
    # The constants now in the weights, where nothing else reads them.
    unread = divisors - {name for node in nodes for name in node.input}
    unread -= {o.name for o in graph.output} | {i.name for i in graph.input}
    del graph.node[:]
    graph.node.extend(n for n in nodes if n.op_type != "Constant" or n.output[0] not in unread)
    unused = [i for i in graph.initializer if i.name in unread]
    for init in unused:
        graph.initializer.remove(init)
    graph.initializer.extend(added)


def _probe_inputs(session: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A deterministic test utterance: the voice's own symbols, noise off."""
    id_map: dict[str, list[int]] = config.get("phoneme_id_map", {})
    ids = [i for symbol in sorted(id_map) for i in id_map[symbol]][:60] or [0]
    inference = config.get("inference", {})
    feeds: dict[str, Any] = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.0, float(inference.get("length_scale", 1.0)), 0.0], np.float32),
    }
    if any(i.name == "sid" for i in session.get_inputs()):
        feeds["sid"] = np.array([0], dtype=np.int64)
    return feeds


def _session(source: str | bytes) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        source, sess_options=options, providers=["CPUExecutionProvider"]
    )


def _equivalent(original: Path, rewritten: bytes, config: dict[str, Any]) -> bool:
    before = _session(str(original))
    after = _session(rewritten)
    feeds = _probe_inputs(before, config)
    expected = before.run(None, feeds)[0]
    outputs = after.run(None, feeds)
    actual = outputs[0]
    if len(outputs) < 2:
        _LOGGER.info("optimized model rejected: no alignment output")
        return False
    hop = int(config.get("hop_length", _HOP_LENGTH))
    if int(np.sum(outputs[1])) * hop != actual.size:
        _LOGGER.info("optimized model rejected: durations do not add up to the audio")
        return False
    if expected.shape != actual.shape:
        _LOGGER.info("optimized model rejected: output shape %s ≠ %s", actual.shape, expected.shape)
        return False
    error = float(np.max(np.abs(expected - actual))) if expected.size else 0.0
    if not error <= _TOLERANCE:
        _LOGGER.info("optimized model rejected: samples differ by up to %.2g", error)
        return False
    return True


def prepare_model(model: Path, config: dict[str, Any], sha256: str, cache_dir: Path) -> Path | None:
    """The optimized copy of ``model`` for ONNX Runtime, built on first use; ``None`` keeps
    the original (rewrite not applicable, check failed, or ``onnx`` unavailable).

    ``config`` is the voice's parsed ``.onnx.json``; ``sha256`` the model file's hash.
    """
    target = cache_dir / f"{sha256}-v{REWRITE_VERSION}.onnx"
    skip = target.with_suffix(".skip")
    try:
        if target.is_file():
            return target
        if skip.is_file():
            return None
    except OSError as exc:  # a cache directory we may not even look into
        _LOGGER.info("cannot use the optimized-model cache %s (%s)", cache_dir, exc)
        return None
    rewritten = b""
    try:
        import onnx

        from vorlesen.synth.piper import add_alignment

        proto = onnx.load(str(model))
        add_alignment(proto)
        candidate = onnx.ModelProto()
        candidate.CopyFrom(proto)  # a rewrite that steps back may have changed it halfway
        try:
            proto = optimize_decoder(candidate)
        except _NotApplicable as exc:  # the alignment output alone is still worth having
            _LOGGER.info("voice %s keeps its original decoder: %s", model.name, exc)
        rewritten = proto.SerializeToString()
        usable = _equivalent(model, rewritten, config)
    except (ImportError, MemoryError) as exc:  # may work another time: no marker
        _LOGGER.info("voice %s keeps its original model (%r)", model.name, exc)
        return None
    except _NotApplicable as exc:
        _LOGGER.info("voice %s keeps its original model: %s", model.name, exc)
        usable = False
    except Exception as exc:  # an optimization must never break a render
        _LOGGER.info("voice %s keeps its original model (%r)", model.name, exc)
        usable = False
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # A marker when it does not apply, so the next render does not try again.
        write_bytes_atomic(target if usable else skip, rewritten if usable else b"")
    except (OSError, UsageError) as exc:  # read-only cache: optimize next time, render now
        _LOGGER.info("cannot keep the optimized model in %s (%s)", cache_dir, exc)
        return None
    return target if usable else None


def optimized_model(model: Path, config: Path, settings: Settings) -> Path | None:
    """The model file a Piper session should load for this voice: the optimized copy in
    ``settings.cache_dir/optimized`` (built now if missing), or ``None`` for the original
    (``settings.optimize_voices`` off, or the rewrite does not apply)."""
    if not settings.optimize_voices:
        return None
    try:
        parsed: dict[str, Any] = json.loads(config.read_text(encoding="utf-8"))
        digest = file_sha256(model)
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # opening the engine reports what is wrong with the voice
    return prepare_model(model, parsed, digest, settings.cache_dir / "optimized")
