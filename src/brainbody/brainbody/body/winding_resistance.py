"""The winding's temperature from its resistance: what a drive's own voltage and current say
about the thermal model's estimate.

A drive applies the q-axis voltage ``v = R(T) i + L di/dt + k_e w`` (plus what its dead-time
compensation leaves, and noise) and measures the current ``i``. Where the back-EMF is small
next to the resistive drop (a joint holding or moving slowly under load: where a winding
heats fastest), ``v - L di/dt - k_e w`` over ``i`` is the winding's resistance, and copper's
+0.393 %/C makes it a thermometer inside the winding, whatever the thermal model's heat
capacities and resistances are.

Between a resistance and a temperature stand the motor's resistance at 25 C (a catalogue's
few per cent) and the drive's current gain error and dead-time residual. All of them are
calibrated against the thermal model while the model can be trusted: a winding within a few
degrees of its housing (a soaked motor, the first second under load) is the housing's reading
give or take a few per cent of that small rise. Once the winding has risen far, the
calibrated resistance corrects the model, each weighted by how well it is known: the model
to a few per cent of its rise, the resistance to the voltage residual over the current.

Measured and modelled resistance are averaged through the same filter (least squares with
forgetting, weighted by the current squared), so they are compared over the same samples and
the filter's lag cancels.
"""
from __future__ import annotations

import math

import numpy as np

from brainbody.jit import kernel

AVERAGE_S = 0.5              # the resistance is averaged over about this long
CALIBRATE_BELOW_C = 5.0      # the model is trusted while its winding is within this of the housing
CALIBRATED_V2S = 1.0         # trusted samples (sum of drop^2 dt, V^2 s) before it corrects anything:
                             # the drive's noise then moves the calibration by well under 0.5 C
MODEL_UNCERTAINTY = 0.05     # the model's rise over the housing is known to about 5 %
MAX_CORRECTION = 0.5         # readings that put the model's rise off by more than half are not
                             # believed past that ...
PLAUSIBLE_C = (-20.0, 250.0)  # ... and a winding the resistance puts outside these (C, around the
                             # housing's reading and absolute) is a drive misreporting: skipped, counted
CALIBRATION_SPAN = 0.3       # so is an average more than 30 % off the datasheet's resistance while calibrating
VOLTAGE_UNCERTAINTY_V = 0.02  # the residual left after calibration (dead time varies with the current)
CORRECT_S = 2.0              # the model follows the resistance over about this long
MIN_DROP_V = 0.5             # a sample needs this much resistive drop ...
MAX_BACK_EMF_SHARE = 0.25    # ... and a back-EMF no larger than this share of it

# Per joint: the running averages, the calibration, the last current; what it measures now
# (the winding's resistance as the datasheet's motor would have it, 0 until calibrated) and how
# many averages were not believed.
OBSERVER = np.dtype([("yi", "f8"), ("mi", "f8"), ("ii", "f8"), ("filled", "f8"), ("cal_yi", "f8"),
                     ("cal_mi", "f8"), ("cal_v2s", "f8"), ("last_current", "f8"), ("resistance", "f8"),
                     ("implausible", "i8")])


@kernel
def model_error_c(ob, r25, alpha, ke, inductance, current, voltage, motor_speed, dt, r_model, housing_c, rise_c):
    """How far the thermal model's winding temperature is from what the resistance says (C),
    weighted by how much more the resistance is to be trusted (0 to 1), for one joint and one
    step of ``dt``; 0.0 when the step says nothing (no drop, fast motion, not calibrated).

    ``current``, ``voltage``: the drive's measured q-axis current (A) and applied voltage (V);
    ``motor_speed``: rad/s at the motor; ``r_model``: the datasheet winding's resistance at the
    model's temperature; ``housing_c``, ``rise_c``: the housing and the model's winding rise over
    it, before this step.
    """
    di = current - ob.last_current
    ob.last_current = current
    if not (math.isfinite(current) and math.isfinite(voltage) and math.isfinite(motor_speed)) or dt <= 0.0:
        return 0.0
    a = min(dt / AVERAGE_S, 1.0)
    drop = abs(r25 * current)
    if drop < MIN_DROP_V or abs(ke * motor_speed) > MAX_BACK_EMF_SHARE * drop:
        ob.filled -= a * ob.filled
        return 0.0
    resistive = voltage - inductance * di / dt - ke * motor_speed
    ob.yi += a * (resistive * current - ob.yi)
    ob.mi += a * (r_model * current * current - ob.mi)
    ob.ii += a * (current * current - ob.ii)
    ob.filled += a * (1.0 - ob.filled)
    calibrating = rise_c < CALIBRATE_BELOW_C
    if calibrating:
        # Calibration: every trusted sample, weighted by its current squared, once the average
        # has settled. An average a catalogue motor could not give (a resistance off its
        # datasheet by more than CALIBRATION_SPAN) is a drive misreporting, and must not become
        # the reference.
        if ob.filled < 0.6:
            return 0.0
        if not (ob.mi > 0.0 and abs(ob.yi / ob.mi - 1.0) <= CALIBRATION_SPAN):
            ob.implausible += 1
            return 0.0
        ob.cal_yi += resistive * current * dt
        ob.cal_mi += r_model * current * current * dt
        ob.cal_v2s += drop * drop * dt
    if ob.filled < 0.6 or ob.cal_v2s < CALIBRATED_V2S or ob.cal_mi <= 0.0:
        return 0.0               # under about half an average's worth of samples, or not calibrated
    scale = ob.cal_yi / ob.cal_mi
    if not scale > 0.0:          # only a drive misreporting gets here: no division by it
        ob.implausible += 1
        return 0.0
    error = (ob.yi / scale - ob.mi) / (ob.ii * r25 * alpha)
    implied = housing_c + rise_c + error
    if not (math.isfinite(error) and housing_c + PLAUSIBLE_C[0] < implied < PLAUSIBLE_C[1]):
        ob.implausible += 1
        return 0.0
    ob.resistance = ob.yi / (scale * ob.ii)
    if calibrating:
        return 0.0
    error = min(max(error, -MAX_CORRECTION * rise_c), MAX_CORRECTION * rise_c)
    sd_model = MODEL_UNCERTAINTY * rise_c
    sd_measured = VOLTAGE_UNCERTAINTY_V / (math.sqrt(ob.ii) * r25 * alpha)
    weight = sd_model * sd_model / (sd_model * sd_model + sd_measured * sd_measured)
    return weight * error * min(dt / CORRECT_S, 1.0)
