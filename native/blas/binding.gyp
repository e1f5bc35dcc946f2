{
  "targets": [
    {
      "target_name": "spatialedit_blas",
      "sources": ["blas.c"],
      "cflags": ["-O3", "-std=c11"],
      "libraries": ["-ldl"]
    }
  ]
}
