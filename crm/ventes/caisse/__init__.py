"""Counter sales (caisse): receipts in a hash chain, daily closings (Z), verification."""
