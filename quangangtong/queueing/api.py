from ninja import Router

router = Router(tags=["排队叫号"])
