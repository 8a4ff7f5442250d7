{
  "targets": [
    {
      "target_name": "ssl_robust_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/gemm.cc", "src/epilogue.cc", "src/tile.cc", "src/batch-norm.cc"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "libraries": ["-ldnnl", "-lopenblas", "-lgomp"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
