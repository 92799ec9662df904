# The Dockerfile of the article this project grew from (Docker's "Get Started, Part 2:
# Containers"), as it was but for its base, a build argument so that every variant of the bench
# builds on the same image. The article's line: FROM python:3.8-slim
ARG PYTHON_IMAGE=python:3.8-slim
# Use an official Python runtime as a parent image
FROM ${PYTHON_IMAGE}

# Set the working directory to /app
WORKDIR /app

# Copy the current directory contents into the container at /app
COPY . /app

# Install any needed packages specified in requirements.txt
RUN pip install --trusted-host pypi.python.org -r requirements.txt

# Make port 80 available to the world outside this container
EXPOSE 80

# Define environment variable
ENV NAME World

# Run app.py when the container launches
CMD ["python", "app.py"]
