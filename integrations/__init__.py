"""Adapters to the outside world; lk_core declares the interfaces they implement."""
