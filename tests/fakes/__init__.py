"""Fakes at the wire: real servers on 127.0.0.1 speaking the real protocols."""
