"""lambdactl: the whole life of an AWS Lambda function behind one opinionated command line."""
__version__ = "0.1.0"
