{
  "targets": [
    {
      "target_name": "mpts",
      "sources": ["native/mpts.c", "native/buffer.cc"],
      "cflags": ["-O2", "-Wall", "-Wno-unused-parameter"],
      "cflags_cc": ["-O2", "-Wall"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
