from webui import create_app

app = create_app()
