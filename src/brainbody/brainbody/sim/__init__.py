"""The simulated plant (MuJoCo). No module here is imported by the body."""

# The simulated robots: its datasheet, or a unit that differs from it (sim/plant_realism.py).
# Here, not there, so the command line can offer them without loading MuJoCo.
PLANTS = ("ideal", "honest")
