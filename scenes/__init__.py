"""The built-in scenes. Each is a plugin like a user's: a Scene subclass and its kernels in one file."""
