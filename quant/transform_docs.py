"""The transform-domain tables of ``docs/fixed-point.md``, generated from the code
(:func:`quant.docs.generated_blocks` includes them)."""

from __future__ import annotations

import numpy as np

from lst.transform.arch import TRANSFORM_MODELS

from .transform_contract import TransformConfig, formats

__all__ = ["transform_blocks"]

#: The worked example's coefficients: the DC term, one that passes its threshold and
#: two that it zeroes.
EXAMPLE_COEFFS = ((0, 0), (0, 2), (0, 4), (3, 0))


def _minus(text: str) -> str:
    return text.replace("-", "−")


def formats_table(cfg: TransformConfig) -> str:
    """One row per quantity, one column per model."""
    tables = {m: formats(a, cfg).table() for m, a in TRANSFORM_MODELS.items()}
    first = next(iter(tables.values()))
    titles = [a.title for a in TRANSFORM_MODELS.values()]
    lines = [
        "| quantity | " + " | ".join(titles) + " | note |",
        "|---|" + "---|" * len(titles) + "---|",
    ]
    shifts = {
        "E (row pass)": [formats(a, cfg).e_shift for a in TRANSFORM_MODELS.values()],
        "c (coefficients)": [formats(a, cfg).c_shift for a in TRANSFORM_MODELS.values()],
    }
    for i, (quantity, _, note) in enumerate(first):
        cells = [f"`{rows[i][1].name}` ({rows[i][1].width})" for rows in tables.values()]
        if quantity == "matrix M":
            note = "HT-1: ±1, exact; DCT-1, BWT-1: rounded, the weight width"
        elif quantity in shifts:
            by_model = ", ".join(f"{t} {v}" for t, v in zip(titles, shifts[quantity], strict=True))
            note = f"shift ({by_model}), round half up"
        elif quantity == "logits":
            note = "P² taps and the bias, exact"
        lines.append(f"| {quantity} | " + " | ".join(cells) + f" | {note} |")
    return "\n".join(lines) + "\n"


def example_image() -> np.ndarray:
    """An inverted T: pixels 255 in rows 3–21 of columns 9–13 and in rows 19–21 of
    columns 5–19, else 0 (odd-length strokes, so that few coefficients vanish)."""
    image = np.zeros((28, 28), dtype=np.uint8)
    image[3:22, 9:14] = 255
    image[19:22, 5:20] = 255
    return image


def worked_example(model: str, cfg: TransformConfig) -> str:
    """Selected coefficients of :func:`example_image` through every stage, from the
    shipped checkpoint's integers and the golden model's intermediates."""
    from .transform_golden import TransformGoldenModel
    from .transform_quantize import quantize_transform_checkpoint

    qm = quantize_transform_checkpoint(None, cfg, model=model)
    r = TransformGoldenModel(qm)(example_image(), intermediates=True)
    f, it, ints = qm.formats, r.intermediates, qm.ints
    lines = [
        "| coefficient | column-pass acc | c | a | β | a·c + β | g | τ | z | u = z + c |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k, l in EXAMPLE_COEFFS:
        c = int(it["col"][0, k, l])
        a, beta = int(ints["scale"][k, l]), int(ints["offset"][k, l])
        cells = [
            int(it["col.acc"][0, k, l]),
            c,
            a,
            beta,
            a * c + beta,
            int(it["scale"][0, k, l]),
            int(ints["threshold"][k, l]),
            int(it["threshold"][0, k, l]),
            int(it["features"][0, k, l]),
        ]
        lines.append(f"| ({k}, {l}) | " + " | ".join(_minus(str(v)) for v in cells) + " |")
    logits = ", ".join(_minus(str(int(v))) for v in r.logits[0])
    lines += [
        "",
        f"Codes: column-pass accumulator `{f.c_acc.name}`, c `{f.c.name}`, a `{f.scale.name}`, "
        f"β `{f.beta.name}`, g and z `{f.g.name}`, τ `{f.tau.name}`, u `{f.u.name}`. "
        f"Logits (`{f.logits.name}` codes): {logits}; class {int(r.classes[0])}.",
    ]
    return "\n".join(lines) + "\n"


def transform_blocks() -> dict[str, str]:
    cfg = TransformConfig()
    return {
        "transform-formats-q5.7": formats_table(cfg),
        "transform-example-ht1-q5.7": worked_example("ht1", cfg),
    }
