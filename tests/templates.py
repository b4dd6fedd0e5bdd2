"""Small templates several test modules share: a function, and that function open to anyone."""

FUNCTION = """  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: open
      Role: arn:aws:iam::123456789012:role/r
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
"""

PUBLIC = "Resources:\n" + FUNCTION + """  Anyone:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*"}
"""
"""A function anyone may invoke: public-invoke fires (critical)."""
