"""The testing domain: lab batches, tubes (single and pooled), samples, results, retest orders."""
