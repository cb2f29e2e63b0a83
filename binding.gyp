{
  "targets": [
    {
      "target_name": "mpts",
      "sources": [
        "native/mpts.c",
        "native/common.c",
        "native/arena.c",
        "native/segments.c",
        "native/tracker.c",
        "native/futex.c",
        "native/async-wait.c",
        "native/pidfd.c",
        "native/buffer.cc"
      ],
      "cflags": ["-O2", "-Wall", "-Wno-unused-parameter"],
      "cflags_cc": ["-O2", "-Wall"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
