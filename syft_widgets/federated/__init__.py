"""Federated-learning helpers from PySyft 0.2 that the classic tutorials import."""

from .floptimizer import Optims

__all__ = ["Optims"]
