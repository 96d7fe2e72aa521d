{
  "targets": [
    {
      "target_name": "tasklet",
      "sources": [
        "native/addon.cc",
        "native/binding/channel_wrap.cc",
        "native/binding/engine_wrap.cc",
        "native/binding/shared_channel_wrap.cc",
        "native/engine/shared_channel.cc",
        "native/engine/channel.cc",
        "native/engine/engine.cc",
        "native/engine/fiber.cc",
        "native/engine/strand.cc",
        "native/engine/thread_identity.cc"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
      "cflags_cc": ["-std=gnu++20", "-fno-exceptions", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-lpthread"] }]
      ]
    }
  ]
}
