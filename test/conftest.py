"""Shared test set-up: every run gets a private DDS domain and stays on loopback."""
import os
import random

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
# A private domain per pytest run keeps parallel runs and other users apart.
os.environ.setdefault("ROS_DOMAIN_ID", str(random.Random(os.getpid()).randint(120, 200)))
