def site(request):
    return {"SITE_NAME": "GPT Store"}
