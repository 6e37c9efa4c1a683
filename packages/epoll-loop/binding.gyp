{
  "targets": [
    {
      "target_name": "epoll",
      "sources": ["native/epoll.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
