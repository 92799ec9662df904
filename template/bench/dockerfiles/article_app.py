# The article's app.py, for this project's app: Flask's built-in server on port 80.
from app import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=80)
