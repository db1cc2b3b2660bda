"""Readers and writers: LAReQA JSON, BEIR layout, parallel-pairs JSONL."""
