{
  "targets": [
    { "target_name": "adder", "sources": ["adder.cc"] }
  ]
}
