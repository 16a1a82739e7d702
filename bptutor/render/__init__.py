"""Renderers: format a Derivation, never compute one."""
