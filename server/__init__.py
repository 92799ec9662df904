"""What the template owns in the image, whatever app it serves: the server's settings, the health
and build-information endpoints, the request-size limit. The app is the adopter's (APP)."""
