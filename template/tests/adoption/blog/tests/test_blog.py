def test_an_empty_blog(client):
    assert b"The Blog" in client.get("/").data


def test_a_post_is_listed(client):
    response = client.post("/posts", data={"title": "Hello, instance folder"})
    assert response.status_code == 302
    assert b"Hello, instance folder" in client.get("/").data
