"""Socle as a service: web interface, OpenAI-compatible HTTP API, accounts, audit, feedback.

``create_app(settings)`` (:mod:`socle.service.app`) builds the ASGI application around one
:class:`~socle.service.core.Service`; ``socle serve`` runs it with uvicorn.
"""
