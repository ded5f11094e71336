{
  "targets": [
    {
      "target_name": "weft_netns",
      "sources": ["netns.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
