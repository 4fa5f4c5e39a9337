"""cocotb testbenches of dualspike: one folder per RTL block, plus the shared harness."""
