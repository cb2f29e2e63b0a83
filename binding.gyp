{
  "targets": [
    {
      "target_name": "mpts",
      "sources": ["native/mpts.c"],
      "cflags": ["-O2", "-Wall", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
