"""Pipeline latencies of the core's components, in cycles.

The schedule needs them before any component is elaborated (:func:`hw.plan.schedule.
writeback_latency`, the gaps between passes), so they are facts of the plan; each
component takes its own from here (``RowPass``'s neighbours: ``OperandRouter.LATENCY``,
``MacArray.latency``, ``LaneDrain.LATENCY``, ``TanhUnit.LATENCY``,
``ActivationBuffers.WRITE_LATENCY``), and their tests check them by simulation.
"""

from __future__ import annotations

#: From an op's issue to its operands at the lanes (the router's two stages).
OPERAND_ROUTER = 2

#: From an enabled cycle's operands to the accumulator that includes them.
MAC_ARRAY = 3

#: From a drain's ``start`` to lane 0's values on its outputs.
LANE_DRAIN = 4

#: From an accumulator at the activation table to its activation.
TANH_UNIT = 2

#: From ``act_valid`` at the activation buffers to the memory write.
ACTIVATION_WRITE = 1

#: Transform core: from an op's presented operands to the lane sum that includes it.
TRANSFORM_LANES = 3

#: Transform core: from a coefficient into the scale-and-threshold unit to its ``u``.
COEFFICIENT_UNIT = 6
