"""The web app (FastAPI): ``create_app(settings)`` builds it; each concern adds its routes in a module of its own."""
